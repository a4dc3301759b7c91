"""Where Medusa's Admin API updates a row of each table a mapping may write back to (the same routes in
Medusa v1 and v2). A mapping's `write_back` on another table is a mapping error."""

ADMIN_ROUTES = {
    "product": "/admin/products/{id}",
    "product_collection": "/admin/collections/{id}",
    "product_category": "/admin/product-categories/{id}",
}
