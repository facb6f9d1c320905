"""podman, as podman-compose calls it, with every container in one pod.

podman-compose 1.0 puts the services on a bridge network of its making, and
a bridge makes podman add firewall rules to the host. This runs them in the
pod named by ``IN_POD`` instead: they share its network and reach each other
on 127.0.0.1 by their service names (the pod's host entries). The pod alone
publishes ports; a container asking for a port that the pod does not publish
(``IN_POD_PUBLISHES``) is refused, so the compose file's ports are checked
rather than dropped. Every other command goes to podman as it is.
"""

import os
import sys

NETWORK_OPTIONS = {"--net", "--network", "--network-alias"}
PUBLISH_OPTIONS = {"-p", "--publish"}


def in_pod(args, pod, published):
    """A ``run`` or ``create`` command, with the pod in place of the networks."""
    command, *options = args
    kept = [command, f"--pod={pod}"]
    options = iter(options)
    for option in options:
        if option in NETWORK_OPTIONS:
            next(options)
        elif option in PUBLISH_OPTIONS:
            port = next(options)
            if port not in published:
                sys.exit(f"The pod does not publish {port}; it publishes {published}.")
        else:
            kept.append(option)
    return kept


def main():
    args = sys.argv[1:]
    if args[:2] == ["network", "exists"]:
        # The pod's network stands in for every network: none is made.
        sys.exit(0)
    if args[:1] in (["run"], ["create"]):
        published = os.environ.get("IN_POD_PUBLISHES", "").split()
        args = in_pod(args, os.environ["IN_POD"], published)
    os.execvp("podman", ["podman", *args])


if __name__ == "__main__":
    main()
