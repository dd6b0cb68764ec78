"""The end-to-end flow of the OSC test (identity, placement, image) with openstacksdk, against `concord up`.

Run by test/e2e/osc-cloud.test.ts with OS_CLIENT_CONFIG_FILE pointing at the clouds.yaml that
`concord up` wrote. Prints one JSON object: what the test checks, and every secret the flow
handled, so that the test can make sure none of them reached the server's log.
"""
import json
import sys

import openstack


def main():
    out = {'secrets': []}
    admin = openstack.connect(cloud='concord')
    out['secrets'].append(admin.auth_token)
    out['catalog'] = sorted(s['type'] for s in admin.service_catalog)

    identity = admin.identity
    project = identity.create_project(name='sdk-project', domain_id='default')
    password = 'sdk-user-password-9f3b'
    out['secrets'].append(password)
    user = identity.create_user(name='sdk-user', password=password, domain_id='default',
                                default_project_id=project.id)
    member = identity.find_role('member')
    identity.assign_project_role_to_user(project, user, member)
    out['assignments'] = sorted(
        '%s %s' % (a.role['name'], a.user['name'])
        for a in identity.role_assignments(scope_project_id=project.id, include_names=True))

    as_user = openstack.connect(
        auth_url=admin.config.config['auth']['auth_url'], username='sdk-user', password=password,
        project_name='sdk-project', user_domain_name='Default', project_domain_name='Default',
        region_name='RegionOne', identity_api_version='3')
    out['secrets'].append(as_user.auth_token)
    cred = as_user.identity.create_application_credential(
        user=as_user.current_user_id, name='sdk-app-cred')
    out['secrets'].append(cred.secret)
    with_cred = openstack.connect(
        auth_type='v3applicationcredential', auth_url=admin.config.config['auth']['auth_url'],
        application_credential_id=cred.id, application_credential_secret=cred.secret,
        region_name='RegionOne', identity_api_version='3')
    out['secrets'].append(with_cred.auth_token)
    out['app_cred_project'] = with_cred.current_project_id == project.id

    provider = admin.placement.create_resource_provider(name='sdk-hv')
    out['providers'] = sorted(p.name for p in admin.placement.resource_providers())
    admin.placement.delete_resource_provider(provider)

    data = bytes(range(256)) * 64
    image = as_user.image.create_image(
        name='sdk-image', data=data, disk_format='raw', container_format='bare', allow_duplicates=True)
    out['image_status'] = as_user.image.get_image(image).status
    out['image_roundtrip'] = as_user.image.download_image(image).content == data
    out['images_seen_by_user'] = sorted(i.name for i in as_user.image.images())
    out['images_seen_by_demo'] = sorted(
        i.name for i in openstack.connect(cloud='concord-demo').image.images())
    as_user.image.delete_image(image)

    as_user.identity.delete_application_credential(as_user.current_user_id, cred.id)
    identity.delete_user(user)
    identity.delete_project(project)
    out['cleaned'] = identity.find_project('sdk-project') is None
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
