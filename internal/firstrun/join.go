// SPDX-License-Identifier: Apache-2.0
// Copyright berth authors

package firstrun

import (
	"fmt"
	"strings"
)

// JoinHost returns the shell commands that join a container host to
// cluster on the control plane at endpoint (http://HOST:PORT): the agent
// configuration, in the Amazon ECS agent's ecs.config format, and the
// agent's start. The console's first-run page and `berth up` show the
// same text. The host acts with the instance role once it is associated
// with the instance profile ProfileName.
func JoinHost(endpoint, cluster string) string {
	if cluster == "" {
		cluster = ClusterName
	}
	endpoint = strings.TrimSuffix(endpoint, "/")
	return fmt.Sprintf(`# On the container host (Docker Engine running), as root:
mkdir -p /etc/ecs
cat > /etc/ecs/ecs.config <<'EOF'
ECS_CLUSTER=%s
ECS_BACKEND_HOST=%s
EOF
berth agent --config /etc/ecs/ecs.config --instance-profile %s
`, cluster, endpoint, ProfileName)
}
