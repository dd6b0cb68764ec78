"""A server's life with openstacksdk against `concord up` (with its fake hypervisors).

Run by test/e2e/sdk-servers.test.ts with OS_CLIENT_CONFIG_FILE pointing at the clouds.yaml that
`concord up` wrote. The admin makes a flavor; the demo user boots through the proxy layer
(compute.create_server with networks 'none', wait_for_server) and through the cloud layer
(create_server by names), lists, and deletes both, waiting until they are gone. Prints one
JSON object of what the test checks.
"""
import json
import sys

import openstack


def main():
    out = {}
    admin = openstack.connect(cloud='concord')
    demo = openstack.connect(cloud='concord-demo')
    flavor = admin.compute.create_flavor(name='sdk-tiny', ram=512, vcpus=1, disk=1)
    image = demo.image.find_image('cirros-0.6.2-x86_64-disk', ignore_missing=False)

    server = demo.compute.create_server(
        name='sdk-vm', flavor_id=flavor.id, image_id=image.id, networks='none')
    server = demo.compute.wait_for_server(server, status='ACTIVE', interval=0.5, wait=60)
    out['proxy'] = {'status': server.status, 'power_state': server.power_state,
                    'flavor': server.flavor.original_name}
    out['host'] = admin.compute.get_server(server.id).hypervisor_hostname

    # The cloud layer: image and flavor by name; without Neutron it asks for 'auto' networks. Its
    # own wait (wait=True) insists on an IP address, which only Neutron gives: the proxy's waits.
    cloud_server = demo.create_server(
        'sdk-vm2', image='cirros-0.6.2-x86_64-disk', flavor='sdk-tiny', auto_ip=False)
    cloud_server = demo.compute.wait_for_server(cloud_server, interval=0.5, wait=60)
    out['cloud'] = {'status': cloud_server.status}
    out['listed'] = sorted(s.name for s in demo.compute.servers())
    out['listed_by_cloud_layer'] = sorted(s.name for s in demo.list_servers())

    demo.compute.delete_server(server)
    demo.compute.wait_for_delete(server, interval=0.5, wait=60)
    out['cloud_deleted'] = demo.delete_server(cloud_server.id, wait=True, timeout=60)
    out['left'] = [s.name for s in demo.compute.servers()]
    admin.compute.delete_flavor(flavor)
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
