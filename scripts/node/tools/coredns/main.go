// CoreDNS v1.15.0 with only the plugins the test node's cluster DNS uses: the Kubernetes records of
// cluster.local, and NXDOMAIN (template) for every other name -- no forward plugin, so nothing resolves
// outside the cluster. A smaller build than the upstream binary, which links every cloud provider's SDK.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/template"
)

// The plugins in CoreDNS's own order (plugin.cfg): a query passes them in this order.
var directives = []string{"ready", "health", "errors", "log", "template", "kubernetes"}

func init() {
	dnsserver.Directives = directives
}

func main() {
	coremain.Run()
}
