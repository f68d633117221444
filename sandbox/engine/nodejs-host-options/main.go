// pulumi-language-nodejs as the CLI starts it: hands Pulumi.yaml's runtime options to the
// Node.js language host.
//
// The Go module proxy serves the host only as it was in sdk/v3 v3.68.0 (it moved to its own,
// unserved module afterwards). That host reads its options (typescript, tsconfig, nodeargs)
// as command-line flags, while CLI v3.259 hands them over RPC only, so the old host never saw
// them: `typescript: false` was ignored and every deploy loaded TypeScript and ts-node (0.4 s)
// and ts-node's source-map stack traces (0.7 s of the program's CPU in a no-change up).
// This shim reads the options of the project it is started in, as the CLI reads them
// (workspace.LoadProject), and execs the real host with them as flags.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// The flags the v3.68 host defines for runtime options (nodejs/cmd/pulumi-language-nodejs/main.go).
var hostFlags = []string{"typescript", "tsconfig", "nodeargs"}

func main() {
	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	host := filepath.Join(filepath.Dir(self), "pulumi-language-nodejs-host")
	args := []string{host}
	// The CLI starts the host in the project's directory; outside a project there is nothing to pass.
	if cwd, err := os.Getwd(); err == nil {
		if path, err := workspace.DetectProjectPathFrom(cwd); err == nil && path != "" {
			project, err := workspace.LoadProject(path)
			if err != nil {
				fail(fmt.Errorf("reading runtime options from %s: %w", path, err))
			}
			options := project.Runtime.Options()
			for _, name := range hostFlags {
				if v, ok := options[name]; ok {
					args = append(args, fmt.Sprintf("-%s=%v", name, v))
				}
			}
		}
	}
	// flags first: the engine's address is the host's last, positional argument
	args = append(args, os.Args[1:]...)
	fail(syscall.Exec(host, args, os.Environ()))
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs (state-labs options shim): %v\n", err)
	os.Exit(1)
}
