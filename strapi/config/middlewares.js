// CORS: no cross-origin access by default (browsers get no Access-Control-Allow-Origin, so no page on another
// origin can call the admin or content API with a visitor's credentials). CORS_ORIGINS lists the origins that
// may (comma-separated, exact, e.g. a storefront's https://shop.example.com); '*' is refused: Strapi's CORS
// middleware answers a wildcard by reflecting the caller's origin, with credentials allowed.
module.exports = ({ env }) => {
  const origins = env.array('CORS_ORIGINS', []).map((origin) => origin.trim()).filter(Boolean);
  if (origins.includes('*')) {
    throw new Error("CORS_ORIGINS: '*' would let any web page call this Strapi with its visitors' credentials; list the origins");
  }
  return [
    'strapi::logger',
    'strapi::errors',
    'strapi::security',
    { name: 'strapi::cors', config: { origin: origins } },
    'strapi::poweredBy',
    'strapi::query',
    'strapi::body',
    'strapi::session',
    'strapi::favicon',
    'strapi::public',
  ];
};
