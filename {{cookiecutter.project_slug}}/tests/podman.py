"""Rootful podman for the container test, with everything it keeps in one folder.

podman takes its settings from the two files written here, through
``CONTAINERS_CONF`` and ``CONTAINERS_STORAGE_CONF``; nothing in /etc is
read for them or changed. :meth:`Podman.close` stops and removes every pod
and container, then deletes the folder, images and volumes with it, and the
few places outside it that podman makes whatever it is told, when they were
not there before.

Images come from no registry: :func:`debian_base` makes a Debian base from
this machine's own apt sources with mmdebstrap, and :meth:`Podman.build`
builds on it.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import servers

# Each from the Debian package of its name; slirp4netns gives the pod its ports.
REQUIRED = ["podman", "podman-compose", "mmdebstrap", "runc", "slirp4netns"]
CONTAINERS_CONF = """\
[containers]
# podman's defaults ask for more than root may set on some machines.
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
# crun fails where cgroups v1 and v2 are mixed; runc works on both.
runtime = "runc"
# Neither needs systemd.
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{folder}/events.log"
tmp_dir = "{folder}/libpod"
# In tmp_dir, rather than in a shared memory segment of the host.
lock_type = "file"
image_copy_tmp_dir = "{folder}/tmp"

[network]
network_config_dir = "{folder}/networks"
"""
STORAGE_CONF = """\
[storage]
driver = "overlay"
graphroot = "{folder}/storage"
runroot = "{folder}/run"
"""
# What podman 4 makes whatever its settings say.
HOST_PLACES = [Path("/run/containers"), Path("/var/lib/containers")]
# Like Debian's slim images, without documentation; and, thrown away after,
# without dpkg's syncing every file to disk, in the stand-ins' builds too.
SLIM = [
    "--dpkgopt=force-unsafe-io",
    "--dpkgopt=path-exclude=/usr/share/doc/*",
    "--dpkgopt=path-exclude=/usr/share/man/*",
    "--dpkgopt=path-exclude=/usr/share/info/*",
    "--dpkgopt=path-exclude=/usr/share/locale/*",
]
SHARED_MEMORY = "/dev/shm"
# The machine's extra certificate authorities, which pip and apt may need.
EXTRA_CERTIFICATES = Path("/usr/local/share/ca-certificates")


def unavailable(reason):
    """Skip, or fail if ``REQUIRE_CONTAINER=1`` says the test must run."""
    if os.environ.get("REQUIRE_CONTAINER") == "1":
        pytest.fail(f"{reason}, and REQUIRE_CONTAINER=1 says the test must run")
    pytest.skip(reason)


def require_podman():
    """Skip without the programs or root's rights; fail under REQUIRE_CONTAINER=1."""
    for program in REQUIRED:
        servers.require(program, "REQUIRE_CONTAINER")
    if os.geteuid() != 0:
        unavailable("the container test runs rootful podman, as root")


class Podman:
    """podman with its settings, images and containers in a folder of its own."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="podman-", dir=scratch_space()))
        self.made_places = [place for place in HOST_PLACES if not place.exists()]
        conf = self.folder / "containers.conf"
        storage = self.folder / "storage.conf"
        conf.write_text(CONTAINERS_CONF.format(folder=self.folder))
        storage.write_text(STORAGE_CONF.format(folder=self.folder))
        (self.folder / "tmp").mkdir()
        self.env = {
            **os.environ,
            "CONTAINERS_CONF": str(conf),
            "CONTAINERS_STORAGE_CONF": str(storage),
        }

    def __call__(self, *args, check=True, timeout=120, **options):
        """Run ``podman *args``; its output, or a failed test if it fails."""
        return run(["podman", *args], self.env, check, timeout, **options)

    def build(self, context, tag, target=None, **build_args):
        """Build ``context`` (its stage ``target``) into the image ``tag``.

        The docker format keeps HEALTHCHECK, which the OCI format drops;
        the host's network spares RUN steps a bridge and its firewall rules.
        """
        arguments = [
            f"--build-arg={name}={value}" for name, value in build_args.items()
        ]
        if target is not None:
            arguments.append(f"--target={target}")
        self(
            "build",
            "--format=docker",
            "--network=host",
            *arguments,
            f"--tag={tag}",
            str(context),
            timeout=900,
        )
        return tag

    def inspect(self, name):
        return json.loads(self("inspect", name).stdout)[0]

    def containers(self, **labels):
        """The names of the containers, running or not, that carry ``labels``."""
        filters = [f"--filter=label={name}={value}" for name, value in labels.items()]
        listed = json.loads(self("ps", "--all", "--format=json", *filters).stdout)
        return [name for container in listed for name in container["Names"]]

    def wait_until_healthy(self, name, timeout=120):
        """Run the container's health check until it passes.

        Health checks run on systemd timers, which a machine without
        systemd lacks: they are run here instead, as often as needed.
        """
        deadline = time.monotonic() + timeout
        while self("healthcheck", "run", name, check=False).returncode != 0:
            if not self.inspect(name)["State"]["Running"]:
                pytest.fail(f"{name} stopped:\n{self.logs(name)}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{name} is not healthy after {timeout} s:\n{self.logs(name)}"
                )
            time.sleep(0.5)

    def logs(self, name):
        result = self("logs", name, check=False)
        return (result.stdout + result.stderr)[-3000:]

    def close(self):
        """Remove everything podman made, here and outside the folder.

        Once no container runs, nothing is mounted in the folder, and its
        images and volumes are files like any other.
        """
        for kind in ("pod", "container"):
            self(kind, "rm", "--all", "--force", "--time=0", check=False)
        for place in self.made_places:
            shutil.rmtree(place, ignore_errors=True)
        # What a failed step may leave mounted, such as mmdebstrap's /proc.
        for mount_point in reversed(self.mount_points()):
            subprocess.run(["umount", "--lazy", mount_point], check=False)
        assert not self.mount_points(), f"{self.folder} is kept: still mounted"
        shutil.rmtree(self.folder)

    def mount_points(self):
        """The mount points in the folder, in the order they were mounted."""
        return [
            line.split()[4]
            for line in Path("/proc/self/mountinfo").read_text().splitlines()
            if line.split()[4].startswith(f"{self.folder}/")
        ]


def scratch_space():
    """Shared memory, where it has room; else the usual temporary folder.

    Half a gigabyte of images is written there and deleted, which on a disk
    mounted with ``discard`` takes a minute to delete alone.
    """
    try:
        room = os.statvfs(SHARED_MEMORY)
    except OSError:
        return None
    return SHARED_MEMORY if room.f_bavail * room.f_frsize >= 4 * 2**30 else None


def run(command, env, check=True, timeout=120, **options):
    result = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **options,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, command))} failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def apt_source():
    """The suite and mirror of this machine's release in its apt sources."""
    release = dict(
        line.split("=", 1)
        for line in Path("/etc/os-release").read_text().splitlines()
        if "=" in line
    )
    suite = release.get("VERSION_CODENAME", "").strip('"')
    for entry in apt_entries():
        if "deb" in entry["types"] and suite in entry["suites"]:
            return suite, entry["uris"][0]
    unavailable(f"no apt source of this machine names its release {suite!r}")


def apt_entries():
    """Every entry of the apt sources, one-line and deb822 alike."""
    sources = Path("/etc/apt/sources.list.d")
    one_line = [Path("/etc/apt/sources.list"), *sorted(sources.glob("*.list"))]
    for path in filter(Path.exists, one_line):
        for line in path.read_text().splitlines():
            words = line.split("#", 1)[0].split()
            if len(words) > 1 and words[1].startswith("["):
                end = next(i for i, word in enumerate(words) if word.endswith("]"))
                words = [words[0], *words[end + 1 :]]
            if len(words) >= 3:
                yield {"types": [words[0]], "uris": [words[1]], "suites": [words[2]]}
    for path in sorted(sources.glob("*.sources")):
        for stanza in path.read_text().split("\n\n"):
            fields = {}
            for line in stanza.splitlines():
                if ":" in line and not line.startswith(("#", " ")):
                    name, value = line.split(":", 1)
                    fields[name.strip().lower()] = value.split()
            if fields.get("enabled", ["yes"]) != ["no"] and "uris" in fields:
                yield {key: fields.get(key, []) for key in ("types", "uris", "suites")}


def debian_base(podman, tag):
    """A minimal Debian of this machine's release, imported as the image ``tag``.

    It trusts the machine's extra certificate authorities, as the machine
    does, so that pip and apt inside reach what the machine reaches.
    """
    suite, mirror = apt_source()
    hooks = []
    if EXTRA_CERTIFICATES.is_dir() and any(EXTRA_CERTIFICATES.iterdir()):
        hooks = [
            f"--customize-hook=sync-in {EXTRA_CERTIFICATES} {EXTRA_CERTIFICATES}",
            '--customize-hook=chroot "$1" update-ca-certificates',
        ]
    log_path = podman.folder / "mmdebstrap.log"
    command = [
        "mmdebstrap",
        "--variant=apt",
        "--include=ca-certificates",
        *SLIM,
        *hooks,
        suite,
        "-",
        mirror,
    ]
    with log_path.open("w") as log:
        bootstrap = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=log,
            # Its own temporary folder, in the one podman uses.
            env={**podman.env, "TMPDIR": str(podman.folder / "tmp")},
        )
        try:
            podman("import", "-", tag, stdin=bootstrap.stdout, timeout=900)
        finally:
            bootstrap.stdout.close()
            bootstrap.wait()
    if bootstrap.returncode != 0:
        pytest.fail(f"mmdebstrap failed:\n{log_path.read_text()[-3000:]}")
    return tag
