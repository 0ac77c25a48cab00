// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

// Package netfilter keeps the host's packet filter doing what the agent
// needs, behind the Rules interface (Ensure, Remove, Check):
//
//   - Metadata lockdown: containers on Docker bridges (docker0 and the br-*
//     interfaces of user-defined networks) may not reach the instance
//     metadata service. For each blocked address (169.254.169.254 by
//     default; every address is a setting) and bridge pattern:
//
//     -I DOCKER-USER -i docker+ -d 169.254.169.254/32 -j DROP   (forwarded traffic; FORWARD when Docker's chain is absent)
//     -I INPUT       -i docker+ -d 169.254.169.254/32 -j DROP   (the address is one of the host's own)
//
//     This is the rule AWS's guide gives for the container instance role
//     (iptables --insert FORWARD 1 --in-interface docker+ --destination
//     169.254.169.254/32 --jump DROP) in Docker's user chain, extended to
//     user-defined bridges and to host-local addresses. Host-network
//     containers share the host's stack and cannot be kept out this way.
//
//   - Task credentials endpoint: tasks are told 169.254.170.2:80; the
//     agent's endpoint listens on loopback. As ecs-init does:
//
//     sysctl net.ipv4.conf.all.route_localnet=1                          (restored by Remove)
//     -t nat -A PREROUTING -p tcp -d 169.254.170.2/32 --dport 80 -j DNAT --to-destination 127.0.0.1:51679
//     -t nat -A OUTPUT     -p tcp -d 169.254.170.2/32 --dport 80 -j REDIRECT --to-ports 51679
//     -I INPUT -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
//
//     The last rule keeps route_localnet from exposing other loopback
//     services to containers: only DNAT'd connections reach 127/8.
//
// Every rule carries an iptables comment (-m comment --comment <tag>), so
// Remove deletes exactly the rules with its tag and nothing else. Ensure
// is idempotent (each rule is checked with -C before it is added); a
// Keeper re-runs it periodically so a flush (a firewall reload, a Docker
// restart) is repaired without anyone running iptables-save.
//
//   - Local metadata address: on a real (non-AWS) host no interface holds
//     169.254.169.254, so LocalAddress assigns it as a /32 to a dummy link
//     (berth-imds; lo on kernels without the dummy driver) with ip(8) before
//     the metadata service listens. Being local, the address is reached from
//     bridges through INPUT, not FORWARD — hence the lockdown's INPUT rule.
//     It refuses on an EC2 instance (recognised from /sys, no packet sent),
//     whose real metadata service owns that address.
//
// IPTables execs iptables and iptables-save (with -w); Fake records rules
// in memory for unit tests of code that uses Rules.
package netfilter
