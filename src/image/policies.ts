// The image service's policy rules with Glance Zed's new defaults (glance/policies/base.py, image.py):
// project members write what their project owns, project readers read it, anyone may read public
// and community images, image members read what is shared with them and accept or reject it, and
// the admin role may do anything (Glance's `context_is_admin`).
//
// Glance Zed also registers deprecated defaults ("rule:default", which allows everyone) and relies
// on ownership checks in its database and authorization layers while [oslo_policy]
// enforce_new_defaults is off. Those fallbacks are deliberately not declared: concord's shared
// enforce_new_defaults is off by default, and they would let read-only users write. Ownership is
// enforced here by the rules themselves (`project_id:%(project_id)s` is the image's owner).
import type { Config } from '../common/config.js';
import { createEnforcer, type PolicyEnforcer, type PolicyRule } from '../common/policy/index.js';

const PROJECT_MEMBER = 'role:member and project_id:%(project_id)s';
const PROJECT_READER = 'role:reader and project_id:%(project_id)s';
/** The caller's project is a member of the image (target member_id is set only then). */
const IMAGE_MEMBER = 'project_id:%(member_id)s';
const VISIBLE_TO_ALL = '"community":%(visibility)s or "public":%(visibility)s or "shared":%(visibility)s';

const ADMIN = 'role:admin';
const ADMIN_OR_PROJECT_MEMBER = `role:admin or (${PROJECT_MEMBER})`;
const ADMIN_OR_PROJECT_READER = `role:admin or (${PROJECT_READER})`;
const ADMIN_OR_PROJECT_MEMBER_CREATE = `role:admin or (${PROJECT_MEMBER} and project_id:%(owner)s)`;
// "shared" lets any reader past the rule; whether the caller is a member of a shared image is
// decided when the image is looked up (as Glance's database layer does).
const ADMIN_OR_READER_GET_IMAGE =
  `role:admin or (role:reader and (project_id:%(project_id)s or ${IMAGE_MEMBER} ` + `or ${VISIBLE_TO_ALL}))`;
const ADMIN_OR_MEMBER_DOWNLOAD =
  `role:admin or (role:member and (project_id:%(project_id)s or ${IMAGE_MEMBER} ` + `or ${VISIBLE_TO_ALL}))`;
const ADMIN_OR_SHARED_MEMBER = `role:admin or (role:member and ${IMAGE_MEMBER})`;
const ADMIN_OR_READER_OR_SHARED_MEMBER = `role:admin or (role:reader and (project_id:%(project_id)s or ${IMAGE_MEMBER}))`;

/** Glance's ADMIN_OR_PROJECT_READER_GET_NAMESPACE: the target is the namespace (project_id its
 * owner), or the caller's own project when there is none. */
const ADMIN_OR_READER_GET_NAMESPACE =
  'role:admin or (role:reader and (project_id:%(project_id)s or ' + '"public":%(visibility)s))';
const METADEF_ADMIN = 'rule:metadef_admin';

const IMAGE = '/v2/images/{image_id}';
const NAMESPACES = '/v2/metadefs/namespaces';
const NAMESPACE = `${NAMESPACES}/{namespace_name}`;
const MEMBER = `${IMAGE}/members/{member_id}`;

function rule(name: string, checkStr: string, description: string, ops: [string, string][]): PolicyRule {
  return {
    name,
    checkStr,
    description,
    scopeTypes: ['project'],
    operations: ops.map(([method, path]) => ({ method, path })),
  };
}

export const IMAGE_RULES: readonly PolicyRule[] = [
  {
    name: 'context_is_admin',
    checkStr: ADMIN,
    description: 'Who is an administrator (is_admin): sees and may change every image.',
  },
  rule('add_image', ADMIN_OR_PROJECT_MEMBER_CREATE, 'Create an image.', [['POST', '/v2/images']]),
  rule('delete_image', ADMIN_OR_PROJECT_MEMBER, 'Delete an image.', [['DELETE', IMAGE]]),
  rule('get_image', ADMIN_OR_READER_GET_IMAGE, 'Show an image.', [['GET', IMAGE]]),
  rule('get_images', ADMIN_OR_PROJECT_READER, 'List images.', [['GET', '/v2/images']]),
  rule('modify_image', ADMIN_OR_PROJECT_MEMBER, 'Update an image, its tags or its properties.', [
    ['PATCH', IMAGE],
    ['PUT', `${IMAGE}/tags/{tag}`],
    ['DELETE', `${IMAGE}/tags/{tag}`],
  ]),
  rule('publicize_image', ADMIN, 'Make an image public.', [
    ['POST', '/v2/images'],
    ['PATCH', IMAGE],
  ]),
  rule('communitize_image', ADMIN_OR_PROJECT_MEMBER, 'Make an image community.', [
    ['POST', '/v2/images'],
    ['PATCH', IMAGE],
  ]),
  rule('download_image', ADMIN_OR_MEMBER_DOWNLOAD, 'Download image data.', [['GET', `${IMAGE}/file`]]),
  rule('upload_image', ADMIN_OR_PROJECT_MEMBER, 'Upload image data.', [['PUT', `${IMAGE}/file`]]),
  rule('get_image_location', ADMIN_OR_PROJECT_READER, "Show an image's locations (stores).", [
    ['DELETE', '/v2/stores/{store_id}/{image_id}'],
  ]),
  rule('delete_image_location', ADMIN, "Remove an image's data from a store.", [
    ['DELETE', '/v2/stores/{store_id}/{image_id}'],
  ]),
  rule('stores_info_detail', ADMIN, 'Show the stores with their types and settings.', [
    ['GET', '/v2/info/stores/detail'],
  ]),
  rule('deactivate', ADMIN_OR_PROJECT_MEMBER, 'Deactivate an image.', [['POST', `${IMAGE}/actions/deactivate`]]),
  rule('reactivate', ADMIN_OR_PROJECT_MEMBER, 'Reactivate an image.', [['POST', `${IMAGE}/actions/reactivate`]]),
  rule('add_member', ADMIN_OR_PROJECT_MEMBER, 'Share an image with a project.', [['POST', `${IMAGE}/members`]]),
  rule('delete_member', ADMIN_OR_PROJECT_MEMBER, 'Stop sharing an image with a project.', [['DELETE', MEMBER]]),
  rule('get_member', ADMIN_OR_READER_OR_SHARED_MEMBER, 'Show an image member.', [['GET', MEMBER]]),
  rule('get_members', ADMIN_OR_READER_OR_SHARED_MEMBER, 'List image members.', [['GET', `${IMAGE}/members`]]),
  rule('modify_member', ADMIN_OR_SHARED_MEMBER, "Accept or reject an image shared with the caller's project.", [
    ['PUT', MEMBER],
  ]),
  // Metadata definitions: everyone with a reader role reads public namespaces and their project's;
  // only administrators change them (Glance Zed's defaults).
  { name: 'metadef_default', checkStr: '', description: 'Allows everyone (for rules that refer to it).' },
  { name: 'metadef_admin', checkStr: ADMIN, description: 'Who may change metadata definitions.' },
  rule('get_metadef_namespace', ADMIN_OR_READER_GET_NAMESPACE, 'Get a specific namespace.', [['GET', NAMESPACE]]),
  rule('get_metadef_namespaces', ADMIN_OR_PROJECT_READER, 'List namespaces.', [['GET', NAMESPACES]]),
  rule('modify_metadef_namespace', METADEF_ADMIN, 'Modify an existing namespace.', [['PUT', NAMESPACE]]),
  rule('add_metadef_namespace', METADEF_ADMIN, 'Create a namespace.', [['POST', NAMESPACES]]),
  rule('delete_metadef_namespace', METADEF_ADMIN, 'Delete a namespace (or all its objects, properties or tags).', [
    ['DELETE', NAMESPACE],
    ['DELETE', `${NAMESPACE}/objects`],
    ['DELETE', `${NAMESPACE}/properties`],
    ['DELETE', `${NAMESPACE}/tags`],
  ]),
  rule('get_metadef_object', ADMIN_OR_READER_GET_NAMESPACE, 'Get a specific object from a namespace.', [
    ['GET', `${NAMESPACE}/objects/{object_name}`],
  ]),
  rule('get_metadef_objects', ADMIN_OR_READER_GET_NAMESPACE, 'Get objects from a namespace.', [
    ['GET', `${NAMESPACE}/objects`],
  ]),
  rule('modify_metadef_object', METADEF_ADMIN, 'Update an object within a namespace.', [
    ['PUT', `${NAMESPACE}/objects/{object_name}`],
  ]),
  rule('add_metadef_object', METADEF_ADMIN, 'Create an object within a namespace.', [['POST', `${NAMESPACE}/objects`]]),
  rule('delete_metadef_object', METADEF_ADMIN, 'Delete an object within a namespace.', [
    ['DELETE', `${NAMESPACE}/objects/{object_name}`],
  ]),
  rule('list_metadef_resource_types', ADMIN_OR_READER_GET_NAMESPACE, 'List meta definition resource types.', [
    ['GET', '/v2/metadefs/resource_types'],
  ]),
  rule('get_metadef_resource_type', ADMIN_OR_READER_GET_NAMESPACE, 'Get meta definition resource types associations.', [
    ['GET', `${NAMESPACE}/resource_types`],
  ]),
  rule('add_metadef_resource_type_association', METADEF_ADMIN, 'Create meta definition resource types association.', [
    ['POST', `${NAMESPACE}/resource_types`],
  ]),
  rule(
    'remove_metadef_resource_type_association',
    METADEF_ADMIN,
    'Delete meta definition resource types association.',
    [['DELETE', `${NAMESPACE}/resource_types/{name}`]],
  ),
  rule('get_metadef_property', ADMIN_OR_READER_GET_NAMESPACE, 'Get a specific meta definition property.', [
    ['GET', `${NAMESPACE}/properties/{property_name}`],
  ]),
  rule('get_metadef_properties', ADMIN_OR_READER_GET_NAMESPACE, 'List meta definition properties.', [
    ['GET', `${NAMESPACE}/properties`],
  ]),
  rule('modify_metadef_property', METADEF_ADMIN, 'Update meta definition property.', [
    ['PUT', `${NAMESPACE}/properties/{property_name}`],
  ]),
  rule('add_metadef_property', METADEF_ADMIN, 'Create meta definition property.', [
    ['POST', `${NAMESPACE}/properties`],
  ]),
  rule('remove_metadef_property', METADEF_ADMIN, 'Delete meta definition property.', [
    ['DELETE', `${NAMESPACE}/properties/{property_name}`],
  ]),
  rule('get_metadef_tag', ADMIN_OR_READER_GET_NAMESPACE, 'Get tag definition.', [
    ['GET', `${NAMESPACE}/tags/{tag_name}`],
  ]),
  rule('get_metadef_tags', ADMIN_OR_READER_GET_NAMESPACE, 'List tag definitions.', [['GET', `${NAMESPACE}/tags`]]),
  rule('modify_metadef_tag', METADEF_ADMIN, 'Update tag definition.', [['PUT', `${NAMESPACE}/tags/{tag_name}`]]),
  rule('add_metadef_tag', METADEF_ADMIN, 'Add tag definition.', [['POST', `${NAMESPACE}/tags/{tag_name}`]]),
  rule('add_metadef_tags', METADEF_ADMIN, 'Create tag definitions.', [['POST', `${NAMESPACE}/tags`]]),
  rule('delete_metadef_tag', METADEF_ADMIN, 'Delete tag definition.', [['DELETE', `${NAMESPACE}/tags/{tag_name}`]]),
  rule('delete_metadef_tags', METADEF_ADMIN, 'Delete all tag definitions of a namespace.', [
    ['DELETE', `${NAMESPACE}/tags`],
  ]),
];

export function imageEnforcer(opts: {
  config: Pick<Config, 'policyFile' | 'enforceScope' | 'enforceNewDefaults'>;
  configDir: string;
  log?: { warn(msg: string): void };
}): PolicyEnforcer {
  return createEnforcer({ ...opts, rules: IMAGE_RULES });
}
