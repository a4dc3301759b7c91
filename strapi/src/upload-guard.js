'use strict';

/**
 * What a Users & Permissions user (the sync's service account) may do to the media library through the content
 * API, beyond what its role's permissions say: replace, re-describe or delete only files uploaded through the
 * content API (Strapi puts each of those in its "API Uploads" folder, and a content-API caller cannot move a
 * file into it), never an editor's. New uploads go through the upload plugin's own type checks
 * (config/plugins.js: raster images and PDFs only). API tokens are left to their own permissions: a full-access
 * token is the admin's, by design.
 */

const FILE_UID = 'plugin::upload.file';

function isUsersPermissionsCaller(ctx) {
  const strategy = ctx.state && ctx.state.auth && ctx.state.auth.strategy;
  return Boolean(strategy && strategy.name === 'users-permissions');
}

/** Whether file `id` sits in the content API's upload folder. */
async function isApiUpload(strapi, id) {
  if (!/^\d+$/.test(String(id))) return false;
  const file = await strapi.db.query(FILE_UID).findOne({ where: { id: Number(id) }, populate: ['folder'] });
  if (!file) return true; // the plugin answers 404 itself
  const folder = await strapi.plugin('upload').service('api-upload-folder').getAPIUploadFolder();
  return Boolean(file.folder && folder && file.folder.id === folder.id);
}

function guardUploads(strapi) {
  const controller = strapi.plugin('upload').controller('content-api');
  const targetOf = { upload: (ctx) => ctx.query && ctx.query.id, destroy: (ctx) => ctx.params && ctx.params.id };
  for (const [action, target] of Object.entries(targetOf)) {
    const original = controller[action];
    controller[action] = async function guarded(ctx, ...rest) {
      const id = target(ctx);
      if (id !== undefined && isUsersPermissionsCaller(ctx) && !(await isApiUpload(strapi, id))) {
        return ctx.forbidden('This file was not uploaded through the content API: only its uploader may change or delete it');
      }
      return original.call(this, ctx, ...rest);
    };
  }
}

module.exports = { guardUploads };
