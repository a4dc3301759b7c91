"""Write-back: the two-way fields (a mapping's `write_back`) of entries edited in Strapi, merged with Medusa's rows."""
