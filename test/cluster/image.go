package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// modulePath identifies the swarmlink repository's go.mod.
const modulePath = "module github.com/swarmlink/swarmlink"

// FindRepo walks up from dir to the swarmlink module's root.
func FindRepo(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("finding repository: %w", err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(strings.TrimSpace(string(b)), modulePath) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("finding repository: no go.mod of github.com/swarmlink/swarmlink above the working directory")
		}
		dir = parent
	}
}

// imageContext is the build context: only the binary and an empty rootfs
// skeleton, laid out as `make image` lays them out under bin/.
func imageContext() string { return filepath.Join(StateDir, "image") }

// BinaryPath is the static swarmlink binary the harness built, usable on the
// machine and on every node (Node.Command).
func BinaryPath() string { return filepath.Join(imageContext(), "bin", "swarmlink") }

// buildBinary builds the static binary from the tree, so the image always
// matches the code under test.
func buildBinary(ctx context.Context, repo string) error {
	env := []string{"CGO_ENABLED=0"}
	version, revision := "dev", "unknown"
	if out, err := runDir(ctx, repo, nil, "git", "describe", "--always", "--dirty", "--tags"); err == nil {
		version = strings.TrimSpace(out)
	}
	if out, err := runDir(ctx, repo, nil, "git", "rev-parse", "HEAD"); err == nil {
		revision = strings.TrimSpace(out)
	}
	_, err := runDir(ctx, repo, env, "go", "build", "-trimpath", "-ldflags",
		"-s -w -X main.version="+version+" -X main.revision="+revision, "-o", BinaryPath(), ".")
	if err != nil {
		return fmt.Errorf("building swarmlink: %w", err)
	}
	return nil
}

// buildImage builds image on n from the repository's Dockerfile with the
// classic builder: no registry, no base image, no BuildKit needed.
func buildImage(ctx context.Context, n *Node, repo, image string) error {
	root := filepath.Join(imageContext(), "bin", "rootfs")
	for _, d := range []string{"tmp", "var/lib/swarmlink"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return fmt.Errorf("image rootfs: %w", err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777); err != nil {
		return fmt.Errorf("image rootfs: %w", err)
	}
	env := []string{"DOCKER_HOST=" + n.Host, "DOCKER_BUILDKIT=0"}
	_, err := runEnv(ctx, env, "docker", "build", "-q", "-t", image,
		"-f", filepath.Join(repo, "Dockerfile"), imageContext())
	if err != nil {
		return fmt.Errorf("building image %s on %s: %w", image, n.Name, err)
	}
	return nil
}

// copyImage streams image from one engine to another (docker save | docker load).
func copyImage(ctx context.Context, from, to *Node, image string) error {
	rc, err := from.Client.ImageSave(ctx, []string{image})
	if err != nil {
		return fmt.Errorf("saving %s on %s: %w", image, from.Name, err)
	}
	defer rc.Close()
	resp, err := to.Client.ImageLoad(ctx, rc)
	if err != nil {
		return fmt.Errorf("loading %s on %s: %w", image, to.Name, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("loading %s on %s: %w", image, to.Name, err)
	}
	if strings.Contains(string(out), `"errorDetail"`) {
		return fmt.Errorf("loading %s on %s: %s", image, to.Name, out)
	}
	return nil
}
