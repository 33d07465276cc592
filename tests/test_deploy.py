"""The deployment recipe in deploy/ (issue 16), checked without Docker: what a reader would otherwise find out
only at `docker compose up` (a setting two files disagree on, a COPY of a missing path, a `ray` flag this Ray
does not know, a TL_ variable no code reads, a proxy that is not sticky or drops the websocket)."""

import ast
import fnmatch
import functools
import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
APP_IMAGE_SERVICES = ["app", "ray-head", "ray-worker"]


@functools.cache
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def services() -> dict:
    return compose()["services"]


def command_words(command) -> list[str]:
    """A compose command or healthcheck test as words (string: split like a shell; CMD-SHELL: its string)."""
    if isinstance(command, str):
        return shlex.split(command)
    if command[0] == "CMD-SHELL":
        return shlex.split(command[1])
    return list(command[1:] if command[0] == "CMD" else command)


def flags(words: list[str]) -> dict[str, str]:
    """`--name=value` and bare `--name` words, as {"--name": "value" or ""}."""
    return dict((word.split("=", 1) + [""])[:2] for word in words if word.startswith("--"))


def head_flags() -> dict[str, str]:
    return flags(command_words(services()["ray-head"]["command"]))


# --- compose.yaml ------------------------------------------------------------------------------------------
def test_compose_has_the_five_services():
    assert {"postgres", "ray-head", "ray-worker", "app", "proxy"} <= set(services())


def test_app_servers_and_ray_workers_run_at_least_two_replicas():
    for name in ["app", "ray-worker"]:
        assert services()[name]["deploy"]["replicas"] >= 2, name


def test_app_server_and_ray_nodes_build_the_same_image_from_the_one_dockerfile():
    builds = {name: services()[name]["build"] for name in APP_IMAGE_SERVICES}
    images = {services()[name]["image"] for name in APP_IMAGE_SERVICES}
    assert len(images) == 1, images
    for build in builds.values():
        assert (DEPLOY / build["context"]).resolve() == ROOT
        assert (ROOT / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"


def test_app_head_and_workers_share_one_tl_environment_object():
    environments = [services()[name]["environment"] for name in APP_IMAGE_SERVICES]
    assert all(environment is environments[0] for environment in environments)  # one YAML anchor, not copies


def test_database_url_reaches_the_postgres_service_with_its_credentials():
    url = urlsplit(services()["app"]["environment"]["TL_DATABASE_URL"])
    postgres = services()["postgres"]["environment"]
    assert url.scheme == "postgresql"
    assert (url.hostname, url.port or 5432) == ("postgres", 5432)
    assert (url.username, url.password) == (postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"])
    assert url.path.lstrip("/") == postgres["POSTGRES_DB"]


def test_app_reaches_ray_through_ray_client_at_the_heads_client_port():
    """An app container runs no Ray node, and `ray.init("host:port")` needs one on its own machine."""
    url = urlsplit(services()["app"]["environment"]["TL_RAY_ADDRESS"])
    assert url.scheme == "ray"
    assert url.hostname == "ray-head"
    assert str(url.port) == head_flags()["--ray-client-server-port"]


def test_workers_join_the_heads_port():
    worker = flags(command_words(services()["ray-worker"]["command"]))
    assert worker["--address"] == f"ray-head:{head_flags()['--port']}"


def test_head_keeps_no_cpus_for_trainings():
    assert head_flags()["--num-cpus"] == "0"


def test_proxy_mounts_the_nginx_conf_that_exists_read_only():
    mounts = [volume.split(":") for volume in services()["proxy"]["volumes"]]
    [(source, target, mode)] = [mount for mount in mounts if mount[1].startswith("/etc/nginx/")]
    assert (DEPLOY / source).resolve() == DEPLOY / "nginx.conf"
    assert (DEPLOY / "nginx.conf").is_file()
    assert mode == "ro"


def test_only_the_proxy_publishes_ports():
    assert [name for name, service in services().items() if "ports" in service] == ["proxy"]


@functools.cache
def ray_help(subcommand: str) -> str:
    ray = Path(sys.executable).with_name("ray")
    return subprocess.run([str(ray), subcommand, "--help"], capture_output=True, text=True, check=True).stdout


def test_every_ray_flag_in_compose_is_known_to_this_ray():
    used = []
    for service in services().values():
        for command in [service.get("command"), service.get("healthcheck", {}).get("test")]:
            if command and (words := command_words(command))[0] == "ray":
                used += [(words[1], flag) for flag in flags(words)]
    assert used
    unknown = [
        f"ray {subcommand} {flag}"
        for subcommand, flag in used
        if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", ray_help(subcommand))  # --port, not --port-x
    ]
    assert unknown == []


def tl_variables() -> set[str]:
    names = {name for service in services().values() for name in service.get("environment", {})}
    names |= set(re.findall(r"\b(TL_[A-Z0-9_]+)=", dockerfile_text()))
    return {name for name in names if name.startswith("TL_")}


def test_every_tl_variable_in_compose_and_the_dockerfile_is_read_by_the_code():
    sources = "".join(path.read_text() for folder in ["tl_core", "ui"] for path in (ROOT / folder).rglob("*.py"))
    assert tl_variables()
    assert [name for name in sorted(tl_variables()) if f'"{name}"' not in sources] == []


# --- Dockerfile --------------------------------------------------------------------------------------------
def dockerfile_text() -> str:
    return (DEPLOY / "Dockerfile").read_text()


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    lines = [line for line in dockerfile_text().splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in joined.splitlines() if line.strip()]


def test_dockerfile_installs_the_requirements_with_the_constraints():
    runs = [
        arguments for instruction, arguments in instructions() if instruction == "RUN" and "pip install" in arguments
    ]
    assert any(re.search(r"-r \S*requirements\.txt", run) and re.search(r"-c \S*constraints\.txt", run) for run in runs)


def test_dockerfile_runs_as_a_user_that_is_not_root():
    users = [arguments.strip() for instruction, arguments in instructions() if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")


def copied_paths() -> list[str]:
    paths = []
    for instruction, arguments in instructions():
        if instruction in ("COPY", "ADD"):
            words = [word for word in arguments.split() if not word.startswith("--")]
            paths += [word.rstrip("/") for word in words[:-1]]
    return paths


def dockerignored(path: str) -> bool:
    patterns = [line.strip().lstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()]
    patterns = [pattern for pattern in patterns if pattern and not pattern.startswith(("#", "!"))]
    parts = path.split("/")
    for pattern in patterns:
        if pattern.startswith("**/") and any(fnmatch.fnmatch(part, pattern[3:]) for part in parts):
            return True
        if fnmatch.fnmatch(path, pattern) or path.startswith(pattern.rstrip("/") + "/"):
            return True
    return False


def test_dockerfile_copies_only_paths_that_exist_and_reach_the_build():
    assert copied_paths()
    for path in copied_paths():
        assert (ROOT / path).exists(), path
        assert not dockerignored(path), path


def test_image_holds_every_local_module_the_copied_code_imports():
    """A copied module importing, say, `tests` or `tools` would fail only in the container."""
    copied = set(copied_paths())
    local = {
        path.stem if path.suffix == ".py" else path.name for path in ROOT.iterdir() if not path.name.startswith(".")
    }
    imported = set()
    for path in copied:
        sources = (ROOT / path).rglob("*.py") if (ROOT / path).is_dir() else [ROOT / path]
        for source in (source for source in sources if source.suffix == ".py"):
            for node in ast.walk(ast.parse(source.read_text())):
                if isinstance(node, ast.Import):
                    imported |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    imported.add(node.module.split(".")[0])
    missing = sorted(name for name in imported & local if name not in copied and f"{name}.py" not in copied)
    assert missing == []


def server_port() -> str:
    [command] = [json.loads(arguments) for instruction, arguments in instructions() if instruction == "CMD"]
    return command[command.index("--server.port") + 1]


# --- nginx.conf --------------------------------------------------------------------------------------------
@functools.cache
def nginx() -> tuple:
    """nginx.conf as a tree of (name, args, children) directives; children is None for a simple directive."""
    text = (DEPLOY / "nginx.conf").read_text()
    tokens = [token for token in re.findall(r'"[^"]*"|#[^\n]*|[{};]|[^\s{};"]+', text) if not token.startswith("#")]
    stack, words = [[]], []
    for token in tokens:
        if token == "{":
            stack.append([])
            stack[-2].append((words[0], tuple(words[1:]), stack[-1]))
            words = []
        elif token == "}":
            stack.pop()
        elif token == ";":
            stack[-1].append((words[0], tuple(words[1:]), None))
            words = []
        else:
            words.append(token.strip('"'))
    return tuple(stack[0])


def blocks(directives, name: str) -> list[tuple]:
    return [directive for directive in directives if directive[0] == name and directive[2] is not None]


def effective(chain: list, name: str) -> list[tuple]:
    """The `name` directives in force at the innermost level of `chain`, with nginx's inheritance: the
    innermost level that sets `name` at all replaces every outer one."""
    for directives in reversed(chain):
        found = [args for directive, args, children in directives if directive == name and children is None]
        if found:
            return found
    return []


def map_values(variable: str) -> list[str]:
    """The values a `map ... $variable { }` can give, or [variable] when it is not a map's result."""
    for _, args, children in blocks(nginx(), "map"):
        if args[1] == variable:
            return [value for _, (value, *_), _ in children]  # each line: `source-value result-value;`
    return [variable]


def location(path: str) -> tuple[list, tuple]:
    """The server's `location path { }` and the chain of levels it inherits from (file, server, location)."""
    [server] = blocks(nginx(), "server")
    [found] = [block for block in blocks(server[2], "location") if block[1][-1] == path]
    return [list(nginx()), server[2], found[2]], found


def seconds(value: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    number, unit = re.fullmatch(r"(\d+)([a-z]*)", value).groups()
    return int(number) * units[unit or "s"]


def proxy_headers(chain: list) -> dict[str, str]:
    return {args[0].lower(): args[1] for args in effective(chain, "proxy_set_header")}


def test_nginx_upgrades_the_websocket_at_stcore_stream():
    chain, _ = location("/_stcore/stream")
    headers = proxy_headers(chain)
    assert effective(chain, "proxy_http_version") == [("1.1",)]
    assert headers["upgrade"] == "$http_upgrade"
    assert "upgrade" in map_values(headers["connection"])
    # Not shorter than Streamlit's own ping (30 s, answered within 30 s), which decides when a socket is dead.
    assert seconds(effective(chain, "proxy_read_timeout")[0][0]) >= 3600


def test_nginx_passes_the_host_header_with_its_port():
    """Streamlit refuses a websocket whose Origin (with the port, :8080) differs from the Host it receives."""
    chain, _ = location("/_stcore/stream")
    assert proxy_headers(chain)["host"] == "$http_host"


def upstream() -> list:
    """The directives of the upstream the websocket goes to."""
    _, stream = location("/_stcore/stream")
    [(target,)] = [args for name, args, _ in stream[2] if name == "proxy_pass"]
    [block] = [block for block in blocks(nginx(), "upstream") if f"http://{block[1][0]}" == target]
    return block[2]


def upstream_settings() -> dict[str, tuple]:
    return {name: args for name, args, _ in upstream() if name != "server"}


def upstream_servers() -> list[tuple]:
    return [args for name, args, _ in upstream() if name == "server"]


def test_nginx_upstream_is_sticky_per_replica():
    settings = upstream_settings()
    assert {"ip_hash", "hash", "sticky"} & set(settings)
    if "consistent" in settings.get("hash", ()):
        # The ring is placed by server *name*: replicas behind one name would share it and take turns.
        names = [args[0] for args in upstream_servers()]
        assert len(set(names)) == len(names) >= services()["app"]["deploy"]["replicas"]


def test_nginx_moves_only_a_restarted_replicas_browsers():
    """Plain `hash` picks by position among the resolved addresses, and a replica that restarts is re-added at
    the end: every browser would move. A consistent hash moves only the keys of the server that changed."""
    assert upstream_settings()["hash"][1:] == ("consistent",)


def test_nginx_does_not_route_by_the_client_subnet():
    """`ip_hash` keys on the first three octets of an IPv4 address: a classroom on one /24 (or behind one NAT)
    would all land on one server."""
    assert "ip_hash" not in upstream_settings()


def test_nginx_sets_the_cookie_it_routes_by():
    """A hash on a cookie the app never sets would send every browser to one server."""
    key = upstream_settings().get("hash", ("",))[0]
    sources = [args[0] for _, args, _ in blocks(nginx(), "map") if args[1] == key] or [key]
    cookies = [source.removeprefix("$cookie_") for source in sources if source.startswith("$cookie_")]
    first_request, _ = location("/")
    set_cookies = [
        value
        for args in effective(first_request, "add_header")
        if args[0] == "Set-Cookie"
        for value in map_values(args[1])
    ]
    for cookie in cookies:
        assert any(value.startswith(f"{cookie}=") for value in set_cookies), cookie


def test_nginx_names_every_app_replica_on_the_image_port():
    """Compose names replica n of `app` <project>-app-<n>; a replica nginx does not list gets no browsers."""
    replicas = range(1, services()["app"]["deploy"]["replicas"] + 1)
    expected = [f"{compose()['name']}-app-{n}:{server_port()}" for n in replicas]
    assert [args[0] for args in upstream_servers()] == expected


def test_nginx_re_resolves_the_replicas_through_dockers_dns():
    """`resolve` needs the upstream in shared memory (`zone`) and a resolver, or nginx refuses to start; inside
    a compose network the resolver is Docker's, at 127.0.0.11."""
    assert all("resolve" in args for args in upstream_servers())
    assert "zone" in upstream_settings()
    assert [args[0] for args in effective([list(nginx())], "resolver")] == ["127.0.0.11"]


def test_nginx_accepts_uploads_as_large_as_streamlit_does():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    streamlit_mb = config["server"].get("maxUploadSize", 200)  # Streamlit's default, in MB
    [server] = blocks(nginx(), "server")
    [(size,)] = effective([list(nginx()), server[2]], "client_max_body_size")
    assert size.endswith("m") and int(size[:-1]) >= streamlit_mb
