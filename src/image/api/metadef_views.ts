// Metadata definitions as Glance's models render them: attributes without a value are left out,
// links are relative to the service root.
import type { NamespaceRecord } from '../objects/metadef_namespace.js';
import type { ObjectRecord } from '../objects/metadef_object.js';
import type { PropertyDefinition } from '../objects/metadef_property.js';
import type { AssociationRecord, ResourceTypeRecord } from '../objects/metadef_resource_type.js';
import type { TagRecord } from '../objects/metadef_tag.js';
import { compact, namespaceHref, timestamps } from './metadef_access.js';

export function namespaceView(ns: NamespaceRecord): Record<string, unknown> {
  return compact({
    namespace: ns.namespace,
    display_name: ns.display_name,
    description: ns.description,
    visibility: ns.visibility,
    protected: ns.protected,
    owner: ns.owner,
    ...timestamps(ns),
    self: namespaceHref(ns.namespace),
    schema: '/v2/schemas/metadefs/namespace',
  });
}

export function objectView(namespace: string, o: ObjectRecord): Record<string, unknown> {
  return compact({
    name: o.name,
    description: o.description,
    required: o.required,
    properties: o.properties,
    ...timestamps(o),
    self: `${namespaceHref(namespace)}/objects/${o.name}`,
    schema: '/v2/schemas/metadefs/object',
  });
}

export function propertyView(name: string, definition: PropertyDefinition): Record<string, unknown> {
  return { name, ...definition };
}

export function tagView(t: TagRecord): Record<string, unknown> {
  return { name: t.name, ...timestamps(t) };
}

export function associationView(a: AssociationRecord): Record<string, unknown> {
  return compact({ name: a.name, prefix: a.prefix, properties_target: a.properties_target, ...timestamps(a) });
}

export function resourceTypeView(rt: ResourceTypeRecord): Record<string, unknown> {
  return { name: rt.name, ...timestamps(rt) };
}
