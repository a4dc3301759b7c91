"""Test-only helpers: a proxy in front of the real Strapi for what it cannot be made to do itself."""
