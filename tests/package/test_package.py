"""What `cmake --install` and `cpack -G DEB` make, checked without changing the
machine: everything is written into temporary folders (docs/operations.md).

- `cmake --install --prefix TMP`: the layout (binary, TLS shims where the binary
  finds them, configuration, unit, man page, completion, rules, dashboards, runbooks,
  docs), and the installed binary serving HTTPS with the installed shims.
- `cpack -G DEB -B TMP`: dpkg-deb --info (fields, dependencies from shlibdeps,
  conffiles, maintainer scripts) and --contents (paths, owners, modes); lintian
  without errors or warnings; the tree extracted with dpkg-deb -x: its binary finds
  its shims, its configuration parses; `systemd-analyze verify` and `security` on
  its unit (the exposure score must be the one docs/operations.md reports); its man
  page renders with `man -l`; its bash completion loads and knows every flag; its
  --version; its maintainer scripts, run with the commands that would change the
  machine (adduser, chown, deb-systemd-helper...) replaced by stubs that log.
"""
import os
import re
import shutil
import stat
import subprocess
import time

import pytest

from lib import procs

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.abspath(os.environ.get("MSX_BUILD_DIR", os.path.join(REPO, "build")))
SUBCOMMANDS = ("check", "check-config", "healthcheck")


def run(args, **kwargs):
    kwargs.setdefault("timeout", 300)
    return subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          **kwargs)


def cache_value(name):
    with open(os.path.join(BUILD, "CMakeCache.txt"), encoding="utf-8") as f:
        match = re.search(r"^%s:\w+=(.*)$" % re.escape(name), f.read(), re.M)
    assert match, "%s not in %s/CMakeCache.txt" % (name, BUILD)
    return match.group(1)


def project_version():
    with open(os.path.join(REPO, "CMakeLists.txt"), encoding="utf-8") as f:
        return re.search(r"project\(mshost_exporter VERSION (\S+)", f.read()).group(1)


def runbooks():
    names = sorted(os.listdir(os.path.join(REPO, "docs", "runbooks")))
    assert names
    return names


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# --- the installed binary over HTTPS ---------------------------------------------

@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and a web config using it."""
    d = tmp_path_factory.mktemp("tls")
    r = run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(d / "server.key"),
             "-out", str(d / "server.pem"), "-days", "2", "-subj", "/CN=msx package",
             "-addext", "subjectAltName=IP:127.0.0.1"])
    assert r.returncode == 0, r.stderr
    web = d / "web.yml"
    web.write_text("tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n")
    return str(web)


def serve_https_and_find_shims(binary, web_config, workdir, shim_dir):
    """Starts `binary` with HTTPS, asks its healthcheck subcommand, and returns the
    libssl.so/libcrypto.so files the process has mapped."""
    os.makedirs(workdir, exist_ok=True)
    config = procs.write_config({
        "targets": [{"name": "pkg", "probe": {"kind": "none"},
                     "database": {"driver": "mysql", "host": "127.0.0.1",
                                  "port": procs.closed_port(), "user": "u",
                                  "connect_timeout": "1s"}}]},
        os.path.join(workdir, "mshost_exporter.yml"))
    log_path = os.path.join(workdir, "exporter.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([binary, "--config.file=" + config,
                                 "--web.listen-address=127.0.0.1:0",
                                 "--web.config.file=" + web_config],
                                stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline and proc.poll() is None:
            with open(log_path, encoding="utf-8", errors="replace") as f:
                match = re.search(r'listening.*?\bport"?[=:]"?(\d+)', f.read())
            port = int(match.group(1)) if match else None
            time.sleep(0.05)
        with open(log_path, encoding="utf-8", errors="replace") as f:
            assert port, "exporter did not listen:\n" + f.read()
        r = run([binary, "healthcheck", "--web.listen-address=127.0.0.1:%d" % port,
                 "--web.config.file=" + web_config], timeout=30)
        assert r.returncode == 0 and r.stdout.startswith("healthy: https://"), r.stdout
        with open("/proc/%d/maps" % proc.pid, encoding="utf-8") as f:
            mapped = {line.split()[-1] for line in f if line.rstrip().endswith(".so")}
        shims = {p for p in mapped if os.path.basename(p) in ("libssl.so", "libcrypto.so")}
        assert shims == {os.path.join(os.path.realpath(shim_dir), "libssl.so"),
                         os.path.join(os.path.realpath(shim_dir), "libcrypto.so")}, mapped
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0


# --- cmake --install ---------------------------------------------------------------

@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("install") / "prefix")
    r = run(["cmake", "--install", BUILD, "--prefix", path])
    assert r.returncode == 0, r.stdout + r.stderr
    return path


def test_install_layout(prefix):
    libdir = cache_value("CMAKE_INSTALL_LIBDIR")
    doc = "share/doc/mshost-exporter/"
    expected = {
        "bin/mshost_exporter": 0o755,
        libdir + "/mshost_exporter/libssl.so": 0o644,
        libdir + "/mshost_exporter/libcrypto.so": 0o644,
        "etc/mshost_exporter/mshost_exporter.yml": 0o640,
        "etc/default/mshost_exporter": 0o644,
        "lib/systemd/system/mshost_exporter.service": 0o644,
        "share/man/man1/mshost_exporter.1.gz": 0o644,
        "share/bash-completion/completions/mshost_exporter": 0o644,
        "share/mshost_exporter/alerts/cloudstack-mshost.rules.yml": 0o644,
        "share/mshost_exporter/dashboards/cloudstack-mshost.json": 0o644,
        doc + "README.md": 0o644,
        doc + "CHANGELOG.md": 0o644,
        doc + "copyright": 0o644,
        doc + "changelog.gz": 0o644,
        doc + "operations.md": 0o644,
        doc + "configuration.md": 0o644,
        doc + "examples/mshost_exporter.example.yml": 0o644,
        doc + "examples/prometheus.example.yml": 0o644,
        doc + "examples/alertmanager.example.yml": 0o644,
    }
    expected.update({doc + "runbooks/" + name: 0o644 for name in runbooks()})
    for rel, want in expected.items():
        path = os.path.join(prefix, rel)
        assert os.path.isfile(path), rel
        assert mode(path) == want, "%s: %o" % (rel, mode(path))

    with open(os.path.join(prefix, "lib/systemd/system/mshost_exporter.service")) as f:
        unit = f.read()
    assert "\nExecStart=%s/bin/mshost_exporter --config.file=%s/etc/mshost_exporter/" \
           "mshost_exporter.yml $ARGS\n" % (prefix, prefix) in unit
    assert "\nEnvironmentFile=-%s/etc/default/mshost_exporter\n" % prefix in unit
    with open(os.path.join(prefix, "etc/default/mshost_exporter")) as f:
        assert re.search(r'^ARGS=""$', f.read(), re.M)


def test_installed_binary_serves_https_with_the_installed_shims(prefix, tls_files,
                                                                tmp_path):
    libdir = cache_value("CMAKE_INSTALL_LIBDIR")
    serve_https_and_find_shims(os.path.join(prefix, "bin", "mshost_exporter"), tls_files,
                               str(tmp_path), os.path.join(prefix, libdir, "mshost_exporter"))


def test_installed_configuration_reads_the_password_file_and_parses(prefix, tmp_path):
    installed = os.path.join(prefix, "etc/mshost_exporter/mshost_exporter.yml")
    binary = os.path.join(prefix, "bin", "mshost_exporter")
    with open(installed, encoding="utf-8") as f:
        text = f.read()
    assert re.search(r"^      password_file: /etc/mshost_exporter/db.pass$", text, re.M)
    assert not re.search(r"^\s*password_env:", text, re.M)
    (tmp_path / "db.pass").write_text("secret\n")
    copy = tmp_path / "mshost_exporter.yml"
    copy.write_text(text.replace("/etc/mshost_exporter/db.pass", str(tmp_path / "db.pass")))
    r = run([binary, "check-config", "--config.file=" + str(copy)])
    assert (r.returncode, r.stdout) == (0, "config OK\n"), r.stderr
    # The example beside the documentation reads the password from the environment.
    example = os.path.join(prefix, "share/doc/mshost-exporter/examples/"
                           "mshost_exporter.example.yml")
    r = run([binary, "check-config", "--config.file=" + example],
            env=dict(os.environ, MSHOST_EXPORTER_DB_PASSWORD="secret"))
    assert (r.returncode, r.stdout) == (0, "config OK\n"), r.stderr


# --- the .deb ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("cpack"))
    r = run(["cpack", "-G", "DEB", "-B", out, "--config",
             os.path.join(BUILD, "CPackConfig.cmake")], timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    debs = [f for f in os.listdir(out) if f.endswith(".deb")]
    assert debs == ["mshost-exporter_%s_amd64.deb" % project_version()], os.listdir(out)
    return os.path.join(out, debs[0])


@pytest.fixture(scope="module")
def root(deb, tmp_path_factory):
    """The .deb's files, extracted."""
    path = str(tmp_path_factory.mktemp("root"))
    r = run(["dpkg-deb", "-x", deb, path])
    assert r.returncode == 0, r.stderr
    return path


def test_deb_fields_dependencies_conffiles_and_scripts(deb, tmp_path):
    r = run(["dpkg-deb", "-I", deb])
    assert r.returncode == 0, r.stderr
    info = r.stdout
    fields = dict(re.findall(r"^ (\w[\w-]*): (.*)$", info, re.M))
    assert fields["Package"] == "mshost-exporter"
    assert fields["Version"] == project_version()
    assert fields["Architecture"] == "amd64"
    depends = {d.strip().split()[0] for d in fields["Depends"].split(",")}
    # From dpkg-shlibdeps: the libraries the binary and the shims link; adduser for
    # the maintainer scripts.
    for package in ("adduser", "libc6", "libcivetweb1", "libmariadb3", "libpqxx-6.4",
                    "libyaml-cpp0.7", "libcurl4", "libssl3", "libprometheus-cpp-core1.0",
                    "libspdlog1.10-fmt9", "libcrypt1"):
        assert package in depends, (package, fields["Depends"])
    members = set(re.findall(r"^\s+\d+ bytes,\s+\d+ lines\s+\*?\s*(\S+)", info, re.M))
    assert {"control", "conffiles", "postinst", "prerm", "postrm", "md5sums"} <= members, info

    control = tmp_path / "DEBIAN"
    assert run(["dpkg-deb", "-e", deb, str(control)]).returncode == 0
    assert (control / "conffiles").read_text().split() == [
        "/etc/mshost_exporter/mshost_exporter.yml", "/etc/default/mshost_exporter"]
    for script in ("postinst", "prerm", "postrm"):
        assert mode(str(control / script)) == 0o755, script
        r = run(["sh", "-n", str(control / script)])
        assert r.returncode == 0, r.stderr
    postinst = (control / "postinst").read_text()
    assert re.search(r"adduser --system .*--shell /usr/sbin/nologin", postinst.replace(
        "\\\n", " "))
    assert "chown root:mshost_exporter \"$conf\"" in postinst
    assert "chmod 0640 \"$conf\"" in postinst


def test_deb_contents(deb):
    r = run(["dpkg-deb", "-c", deb])
    assert r.returncode == 0, r.stderr
    entries = {}
    for line in r.stdout.splitlines():
        perms, owner, _size, _date, _time, path = line.split(None, 5)
        entries[path.split(" -> ")[0]] = (perms, owner)
    assert all(owner == "root/root" for _, owner in entries.values()), entries
    expected = {
        "./usr/bin/mshost_exporter": "-rwxr-xr-x",
        "./usr/lib/mshost_exporter/libssl.so": "-rw-r--r--",
        "./usr/lib/mshost_exporter/libcrypto.so": "-rw-r--r--",
        "./etc/mshost_exporter/mshost_exporter.yml": "-rw-r-----",
        "./etc/default/mshost_exporter": "-rw-r--r--",
        "./lib/systemd/system/mshost_exporter.service": "-rw-r--r--",
        "./usr/share/man/man1/mshost_exporter.1.gz": "-rw-r--r--",
        "./usr/share/bash-completion/completions/mshost_exporter": "-rw-r--r--",
        "./usr/share/doc/mshost-exporter/copyright": "-rw-r--r--",
        "./usr/share/doc/mshost-exporter/changelog.gz": "-rw-r--r--",
        "./usr/share/mshost_exporter/alerts/cloudstack-mshost.rules.yml": "-rw-r--r--",
        "./usr/share/mshost_exporter/dashboards/cloudstack-mshost.json": "-rw-r--r--",
    }
    expected.update({"./usr/share/doc/mshost-exporter/runbooks/" + n: "-rw-r--r--"
                     for n in runbooks()})
    for path, perms in expected.items():
        assert path in entries, path
        assert entries[path][0] == perms, (path, entries[path])
    # Nothing from the build or the tests.
    assert not [p for p in entries if "/tests/" in p or "CMake" in p or p.endswith(".a")]


def test_lintian_reports_no_errors_or_warnings(deb):
    r = run(["lintian", "--fail-on", "error,warning", "--info", deb], timeout=600)
    tags = [l for l in r.stdout.splitlines() if re.match(r"^[EWIP]: ", l)]
    errors_and_warnings = [t for t in tags if t[0] in "EW"]
    assert r.returncode == 0 and not errors_and_warnings, r.stdout + r.stderr
    # Informational tags are shown, not failed on.
    print("\n".join(tags))


def test_extracted_binary_finds_its_shims_and_its_configuration_parses(root, tls_files,
                                                                       tmp_path):
    binary = os.path.join(root, "usr/bin/mshost_exporter")
    serve_https_and_find_shims(binary, tls_files, str(tmp_path),
                               os.path.join(root, "usr/lib/mshost_exporter"))
    # The conffile as shipped is complete but for the password file the
    # administrator creates: that is its only error.
    r = run([binary, "check-config",
             "--config.file=" + os.path.join(root, "etc/mshost_exporter/mshost_exporter.yml")])
    assert r.returncode == 2
    errors = r.stderr.strip().splitlines()
    assert len(errors) == 1 and "cannot read password file " \
        "\"/etc/mshost_exporter/db.pass\"" in errors[0], r.stderr


SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def unit_path(root):
    return os.path.join(root, "lib/systemd/system/mshost_exporter.service")


def test_unit_verifies(prefix, root, tmp_path):
    """systemd-analyze verify on the unit `cmake --install` made, whose ExecStart
    exists on this machine (the .deb's names /usr/bin/mshost_exporter, which does not:
    verify has no use for --root here, where the root lacks systemd's own units and
    /bin/kill). The two units differ only in the prefix."""
    assert SYSTEMD_ANALYZE, "systemd-analyze missing: scripts/install-deps.sh installs systemd"
    installed = os.path.join(prefix, "lib/systemd/system/mshost_exporter.service")
    with open(installed) as f:
        text = f.read()
    with open(unit_path(root)) as f:
        packaged = f.read()
    assert text.replace(prefix + "/etc/", "/etc/").replace(prefix + "/", "/usr/") == packaged

    def verify(path):
        # Documentation=man:mshost_exporter(1) is looked up with man: the installed page.
        return run([SYSTEMD_ANALYZE, "verify", path],
                   env=dict(os.environ, MANPATH=os.path.join(prefix, "share/man") + ":"))
    r = verify(installed)
    assert r.returncode == 0 and r.stderr == "", r.stdout + r.stderr
    # verify does catch a broken unit: this check can fail.
    broken = tmp_path / "mshost_exporter-broken.service"
    broken.write_text(text.replace("RestrictAddressFamilies=", "RestrictAddressFamilys="))
    r = verify(str(broken))
    assert "RestrictAddressFamilys" in r.stderr, r.stderr


def test_security_score_is_the_documented_one(root):
    assert SYSTEMD_ANALYZE, "systemd-analyze missing: scripts/install-deps.sh installs systemd"
    r = run([SYSTEMD_ANALYZE, "security", "--offline=yes", "--root=" + root,
             "--no-pager", "mshost_exporter.service"])
    match = re.search(r"Overall exposure level for mshost_exporter\.service: (\d+\.\d+) (\S+)",
                      r.stdout)
    assert match, r.stdout + r.stderr
    with open(os.path.join(REPO, "docs", "operations.md"), encoding="utf-8") as f:
        documented = re.search(r"exposure level (\d+\.\d+) \((\S+)\)", f.read())
    assert documented, "docs/operations.md must report the score"
    assert (match.group(1), match.group(2)) == documented.groups(), r.stdout


def test_man_page_renders(root):
    page = os.path.join(root, "usr/share/man/man1/mshost_exporter.1.gz")
    r = run(["man", "--warnings", "-l", page], env=dict(os.environ, MANWIDTH="100",
                                                       MANPAGER="cat", PAGER="cat"))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    text = re.sub(r".\x08", "", r.stdout)
    for section in ("NAME", "SYNOPSIS", "SUBCOMMANDS", "EXIT STATUS", "FILES"):
        assert re.search(r"^%s$" % section, text, re.M), section
    for word in ("--config.file", "--web.config.file", "--log.level") + SUBCOMMANDS:
        assert word in text, word


def complete(script, *words):
    """The completions bash offers for `mshost_exporter WORDS...` (the last word is the
    one being completed)."""
    line = "mshost_exporter " + " ".join(words)
    program = (
        'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); '
        'COMP_LINE="%s"; COMP_POINT=${#COMP_LINE}; _mshost_exporter; '
        'printf "%%s\\n" "${COMPREPLY[@]}"; complete -p mshost_exporter >&2' % line)
    r = run(["bash", "--norc", "--noprofile", "-c", program, "bash", script,
             "mshost_exporter"] + list(words))
    assert r.returncode == 0, r.stderr
    assert "complete -F _mshost_exporter mshost_exporter" in r.stderr
    return [w for w in r.stdout.splitlines() if w]


def flags_in_help(binary, *subcommand):
    r = run([binary] + list(subcommand) + ["--help"])
    assert r.returncode == 0, r.stderr
    return set(re.findall(r"^\s+(--[a-z][\w.-]*)", r.stdout, re.M))


def test_bash_completion_knows_every_flag_and_subcommand(root):
    script = os.path.join(root, "usr/share/bash-completion/completions/mshost_exporter")
    binary = os.path.join(root, "usr/bin/mshost_exporter")
    top = complete(script, "")
    assert set(SUBCOMMANDS) <= set(top)
    assert complete(script, "health") == ["healthcheck"]
    # A value after "=": one word, or three as bash splits at '=' by default.
    assert complete(script, "--log.level=") == ["debug", "info", "warn", "error"]
    assert complete(script, "--log.level", "=") == ["debug", "info", "warn", "error"]
    assert complete(script, "--log.level", "=", "w") == ["warn"]
    assert complete(script, "check", "--log.format", "j") == ["json"]
    assert complete(script, "--config.file", "=", os.path.join(root, "etc/default/msh")) \
        == [os.path.join(root, "etc/default/mshost_exporter")]
    for sub, words in ((), top), *(((s,), complete(script, s, "--")) for s in SUBCOMMANDS):
        offered = {w.rstrip("=") for w in words}
        missing = flags_in_help(binary, *sub) - offered
        assert not missing, "completion of %s lacks %s" % (sub or "the server", missing)
    assert complete(script, "healthcheck", "--pass") == ["--password-file="]


def test_dockerfile_labels_and_healthcheck():
    with open(os.path.join(REPO, "docker", "Dockerfile"), encoding="utf-8") as f:
        text = f.read()
    final = text[text.rindex("\nFROM "):]
    assert re.search(r"^ARG VERSION=%s$" % re.escape(project_version()), final, re.M)
    for label in ("version", "revision", "source"):
        assert "org.opencontainers.image.%s=" % label in final, label
    assert re.search(r'^  CMD \["/usr/bin/mshost_exporter", "healthcheck"\]$', final, re.M)
    assert not re.search(r"\bcurl\b(?!4)", final.replace("libcurl4", "")), \
        "curl in the runtime image"
    assert "cmake --install build --prefix /usr" in text


def test_version_names_the_build_and_every_library(root):
    r = run([os.path.join(root, "usr/bin/mshost_exporter"), "--version"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert re.fullmatch(r"mshost_exporter, version %s \(branch: \S+, revision: \S+\)"
                        % re.escape(project_version()), lines[0]), lines
    fields = dict(re.findall(r"^  ([\w ]+?):\s+(.*)$", r.stdout, re.M))
    assert re.fullmatch(r"\d{8}-\d\d:\d\d:\d\d", fields["build date"]), fields
    assert re.fullmatch(r"GNU \d+\.\d+\.\d+", fields["compiler"]), fields
    assert fields["platform"] == "linux/x86_64", fields
    libraries = dict(l.rsplit(" ", 1) for l in fields["libraries"].split(", "))
    assert set(libraries) == {"prometheus-cpp", "CivetWeb", "libmariadb", "libpqxx",
                              "yaml-cpp", "OpenSSL", "libcurl"}, libraries
    for name, version in libraries.items():
        assert re.fullmatch(r"\d+(\.\d+)+", version), (name, version)


# --- the maintainer scripts, run against stubs ---------------------------------------

STUBBED = ("getent", "addgroup", "adduser", "dpkg-statoverride", "chown", "chmod",
           "deb-systemd-helper", "deb-systemd-invoke", "systemctl")


def run_script(control, script, args, tmp_path, known=(), overridden=False):
    """Runs the package's maintainer script with every command that changes the
    system replaced by a stub that logs its arguments and succeeds (so
    `deb-systemd-helper was-enabled` says yes, as it does on a first installation).
    `known`: the users and groups getent finds; `overridden`: dpkg-statoverride has
    an entry. Returns the log."""
    bin_dir = tmp_path / "stubs"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    log.write_text("")
    for name in STUBBED:
        status = "0"
        if name == "getent":
            status = '$( case " %s " in *" $2 "*) echo 0;; *) echo 2;; esac )' % " ".join(known)
        elif name == "dpkg-statoverride":
            status = "0" if overridden else "1"
        stub = bin_dir / name
        stub.write_text('#!/bin/sh\necho "%s $*" >> "%s"\nexit %s\n' % (name, log, status))
        stub.chmod(0o755)
    env = dict(os.environ, PATH="%s:/usr/bin:/bin" % bin_dir)
    r = run(["sh", "-e", str(control / script)] + list(args), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return log.read_text().splitlines()


@pytest.fixture(scope="module")
def control(deb, tmp_path_factory):
    path = tmp_path_factory.mktemp("control") / "DEBIAN"
    assert run(["dpkg-deb", "-e", deb, str(path)]).returncode == 0
    return path


def test_postinst_creates_the_user_without_a_shell_and_guards_the_configuration(
        control, tmp_path):
    calls = run_script(control, "postinst", ["configure"], tmp_path)
    conf = "/etc/mshost_exporter/mshost_exporter.yml"
    assert "addgroup --system --quiet mshost_exporter" in calls
    adduser = [c for c in calls if c.startswith("adduser ")]
    assert adduser == ["adduser --system --quiet --ingroup mshost_exporter --no-create-home "
                       "--home /nonexistent --shell /usr/sbin/nologin --gecos mshost_exporter "
                       "(CloudStack mshost exporter) mshost_exporter"], calls
    assert "chown root:mshost_exporter " + conf in calls
    assert "chmod 0640 " + conf in calls
    # Enabled (deb-systemd-helper), never started by a first installation.
    assert "deb-systemd-helper enable mshost_exporter.service" in calls
    assert not [c for c in calls if c.startswith("deb-systemd-invoke")], calls


def test_postinst_keeps_an_existing_user_and_an_administrators_override(control, tmp_path):
    calls = run_script(control, "postinst", ["configure", "0.0.9"], tmp_path,
                       known=("mshost_exporter",), overridden=True)
    assert not [c for c in calls if c.startswith(("addgroup", "adduser", "chown", "chmod"))], \
        calls


def test_removal_scripts_mask_and_purge_the_unit_and_keep_the_user(control, tmp_path):
    calls = run_script(control, "postrm", ["remove"], tmp_path)
    assert "deb-systemd-helper mask mshost_exporter.service" in calls
    calls = run_script(control, "postrm", ["purge"], tmp_path)
    assert "deb-systemd-helper purge mshost_exporter.service" in calls
    assert not [c for c in calls if "deluser" in c or "delgroup" in c]
    with open(control / "postrm") as f:
        assert "deluser" not in f.read()
