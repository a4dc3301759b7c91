"""Strapi 5: the REST client (`client`) and the content types generated from the mappings (`content_types`)."""
