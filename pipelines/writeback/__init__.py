"""Write-back: fields the CMS owns (a mapping's `write_back`) carried from Strapi to Medusa's Admin API."""
