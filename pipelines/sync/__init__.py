"""One content type from Medusa into Strapi: transform rows, plan the writes (pure), run them, compare keys."""
