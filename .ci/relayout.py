#!/usr/bin/env python3
"""One-off move of the flat modules into src/{core,aws,io,cli,tui} (issue 18).

Kept in the repository while branches written against the flat layout are merged:
run it on such a branch (`python3 .ci/relayout.py`, then commit) and the merge sees
the same renames on both sides. It moves files with `git mv`, rewrites
`crate::old::path` / `iamkeys::old::path` (also inside `crate::{…}` groups) and the
`include_str!` paths, and writes the new `mod.rs` files. Modules it does not know
(new on a branch) keep their place and their `pub mod` line.
"""

import os
import re
import subprocess
import sys

# old module path -> new module path; the longest old path wins.
MODULES = {
    "iam::model": "core::model",
    "iam::error": "core::error",
    "iam::IamError": "core::IamError",
    "iam::ErrorKind": "core::ErrorKind",
    "iam": "aws",
    "change": "core::change",
    "policy": "core::policy",
    "filter": "core::filter",
    "sanitize": "core::sanitize",
    "entries": "core::entries",
    "runner": "io::runner",
    "journal": "io::journal",
    "secret_file": "io::secret_file",
    "private_file": "io::private_file",
    "rotation": "io::rotation",
    "config": "io::config",
    "logging": "io::logging",
    "hardening": "io::hardening",
    "bulk": "io::bulk",
    "emulator": "aws::emulator",
    "cli": "cli::args",
    "list": "cli::list",
    "headless": "cli",
    "action": "tui::action",
    "app": "tui::app",
    "dialog": "tui::dialog",
    "keymap": "tui::keymap",
    "screen_mode": "tui::screen_mode",
    "state": "tui::state",
    "tasks": "tui::tasks",
    "ui": "tui::ui",
    "update": "tui::update",
    "wizard": "tui::wizard",
    "clipboard": "tui::clipboard",
}

# file moves: (old, new); directories move whole.
FILES = [
    ("src/iam/model.rs", "src/core/model.rs"),
    ("src/iam/error.rs", "src/core/error.rs"),
    ("src/iam", "src/aws"),
    ("src/emulator.rs", "src/aws/emulator.rs"),
    ("src/cli.rs", "src/cli/args.rs"),
    ("src/list.rs", "src/cli/list.rs"),
    ("src/headless", "src/cli"),
]
for name, new in MODULES.items():
    if "::" in name or name in ("iam", "cli", "list", "headless", "emulator"):
        continue
    new_dir = new.split("::")[0]
    FILES.append((f"src/{name}.rs", f"src/{new_dir}/{name}.rs"))
    FILES.append((f"src/{name}", f"src/{new_dir}/{name}"))

LAYERS = {
    "core": "The model and the rules, with no AWS SDK, tokio, ratatui or crossterm:\n"
    "//! what a user, key, last use, finding, filter and change are. Both drivers use it.",
    "io": "Files and the one door every change goes through: the runner, the journal,\n"
    "//! secret, rotation-state and config files, logging.",
    "tui": "The dashboard driver: the loop, tasks, the pure `update`, the keymap and the views.",
}


def git(*args):
    subprocess.run(["git", *args], check=True)


def move_files():
    for old, new in FILES:
        if not os.path.exists(old):
            continue
        os.makedirs(os.path.dirname(new), exist_ok=True)
        if os.path.isdir(old):
            os.makedirs(new, exist_ok=True)
            for entry in sorted(os.listdir(old)):
                src, dst = f"{old}/{entry}", f"{new}/{entry}"
                if entry == "mod.rs" and os.path.exists(dst):
                    continue
                git("mv", src, dst)
            if os.path.exists(f"{old}/mod.rs"):
                if os.path.exists(f"{new}/mod.rs"):
                    merge_mod_rs(f"{old}/mod.rs", f"{new}/mod.rs")
                    git("rm", "-q", f"{old}/mod.rs")
                else:
                    git("mv", f"{old}/mod.rs", f"{new}/mod.rs")
        else:
            git("mv", old, new)


def merge_mod_rs(extra, into):
    """Appends `extra`'s lines (a second mod.rs moving into the same directory)."""
    with open(extra) as f:
        body = f.read()
    with open(into, "a") as f:
        f.write("\n" + body)


NAMES = sorted(MODULES, key=lambda n: -len(n))
PATH = re.compile(r"\b(crate|iamkeys)::(" + "|".join(re.escape(n) for n in NAMES) + r")\b")


def rewrite_path(text):
    """`crate::iam::model::X` -> `crate::core::model::X` (longest old path first)."""

    def one(m):
        return f"{m.group(1)}::{MODULES[m.group(2)]}"

    return PATH.sub(one, text)


def rewrite_group(text):
    """`crate::{a, b::c}` -> `crate::{new_a, new_b::c}` (one level of braces)."""
    out, i = [], 0
    pattern = re.compile(r"\b(crate|iamkeys)::\{")
    while True:
        m = pattern.search(text, i)
        if not m:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i : m.end()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        inner = text[m.end() : j - 1]
        parts, depth, start = [], 0, 0
        for k, ch in enumerate(inner):
            depth += {"{": 1, "}": -1}.get(ch, 0)
            if ch == "," and depth == 0:
                parts.append(inner[start:k])
                start = k + 1
        parts.append(inner[start:])
        fixed = []
        for part in parts:
            stripped = part.strip()
            lead = part[: len(part) - len(part.lstrip())]
            trail = part[len(part.rstrip()) :]
            fixed.append(lead + rewrite_path("crate::" + stripped)[len("crate::") :] + trail if stripped else part)
        out.append(",".join(fixed) + "}")
        i = j


def rust_files(*roots):
    for root in roots:
        for d, _, files in os.walk(root):
            for f in files:
                if f.endswith(".rs"):
                    yield os.path.join(d, f)


def rewrite_sources():
    for path in rust_files("src", "tests", "benches"):
        with open(path) as f:
            text = f.read()
        new = rewrite_group(rewrite_path(text))
        if path.startswith("src/aws/"):
            new = new.replace("super::model", "crate::core::model").replace("super::error", "crate::core::error")
        depth = path.count("/") - 1  # src/x.rs -> 0
        if depth >= 1 and path.startswith("src/"):
            new = new.replace('include_str!("../assets', 'include_str!("' + "../" * (depth + 1) + "assets")
        if new != text:
            with open(path, "w") as f:
                f.write(new)


def fix_main():
    """main.rs named the headless commands `headless`; they are `cli` now."""
    path = "src/main.rs"
    with open(path) as f:
        text = f.read()
    new = text.replace("use iamkeys::cli;\n", "use iamkeys::cli as commands;\n")
    new = re.sub(r"(?<![:\w])headless::", "commands::", new)
    if new != text:
        with open(path, "w") as f:
            f.write(new)


def write_layer_mods():
    with open("src/lib.rs") as f:
        lib = f.read()
    tops = set(MODULES) | {"iam", "headless"}
    kept = []
    for line in lib.splitlines():
        m = re.match(r"pub mod (\w+);", line)
        if m and m.group(1) in tops:
            continue
        kept.append(line)
    text = "\n".join(kept).rstrip() + "\n"
    for layer in ["core", "aws", "io", "cli", "tui"]:
        if f"pub mod {layer};" not in text:
            text += f"pub mod {layer};\n"
    with open("src/lib.rs", "w") as f:
        f.write(text)
    for layer, doc in LAYERS.items():
        mods = sorted(
            new.split("::")[1]
            for n, new in MODULES.items()
            if new.startswith(layer + "::") and new.count("::") == 1 and "::" not in n
        )
        if layer == "core":
            mods = sorted(set(mods) | {"model", "error"})
        path = f"src/{layer}/mod.rs"
        body = f"//! {doc}\n\n" + "".join(f"pub mod {m};\n" for m in mods)
        if layer == "core":
            body += "\npub use error::{ErrorKind, IamError};\n"
        with open(path, "w") as f:
            f.write(body)
        git("add", path)
    # aws: the old iam/mod.rs, less the modules that went to core, plus the emulator.
    with open("src/aws/mod.rs") as f:
        aws = f.read()
    aws = re.sub(r"pub mod (model|error);\n", "", aws)
    aws = aws.replace("pub use error::{ErrorKind, IamError};", "pub use crate::core::{ErrorKind, IamError};")
    if "pub mod emulator;" not in aws:
        aws = aws.replace("pub mod changes;", "pub mod changes;\npub mod emulator;")
    with open("src/aws/mod.rs", "w") as f:
        f.write(aws)
    # cli: the old headless/mod.rs plus the arguments and `list`.
    with open("src/cli/mod.rs") as f:
        cli = f.read()
    for m in ["list", "args"]:
        if f"pub mod {m};" not in cli:
            cli = cli.replace("pub mod ask;", f"pub mod {m};\npub mod ask;", 1)
    with open("src/cli/mod.rs", "w") as f:
        f.write(cli)


SDK_ERROR_HEAD = '''//! IAM's and STS's SDK errors as the crate's [`IamError`], keeping IAM's code.

use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::operation::RequestId;

use crate::core::IamError;
use crate::core::error::error_chain;

/// `IamError::from_sdk(…)`: the conversion lives here so the core never sees SDK types.
pub trait FromSdk {
    /// Converts any SDK error, keeping IAM's code where the service sent one.
    fn from_sdk<E, R>(operation: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + 'static,
        SdkError<E, R>: RequestId;
}

impl FromSdk for IamError {
'''


def split_sdk_error():
    """Moves `IamError::from_sdk` out of the core into `aws::sdk_error::FromSdk`."""
    path = "src/core/error.rs"
    with open(path) as f:
        s = f.read()
    if "fn from_sdk" not in s:
        return
    start = s.index("    /// Converts any SDK error")
    end = s.index("/// An error and its sources as one line")
    fn = s[start:end]
    s = s[:start].rstrip() + "\n}\n\n" + s[end:]
    s = s.replace(
        "use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};\nuse aws_sdk_iam::operation::RequestId;\n", ""
    )
    with open(path, "w") as f:
        f.write(s)
    body = fn.rstrip()
    body = body[: body.rstrip().rfind("}")].rstrip()
    body = (
        body.replace("    /// Converts any SDK error, keeping IAM's code where the service sent one.\n", "")
        .replace("    pub fn from_sdk", "    fn from_sdk")
        .replace("Self::new(operation", "IamError::new(operation")
    )
    with open("src/aws/sdk_error.rs", "w") as f:
        f.write(SDK_ERROR_HEAD + body + "\n}\n")
    git("add", "src/aws/sdk_error.rs")
    with open("src/aws/mod.rs") as f:
        m = f.read()
    with open("src/aws/mod.rs", "w") as f:
        f.write(m.replace("pub mod retries;\n", "pub mod retries;\npub mod sdk_error;\n"))
    for path in rust_files("src", "tests"):
        with open(path) as f:
            text = f.read()
        if "::from_sdk(" not in text or path in ("src/aws/sdk_error.rs", "src/core/error.rs"):
            continue
        if "sdk_error::FromSdk" in text:
            continue
        i = text.index("\nuse ")
        with open(path, "w") as f:
            f.write(text[:i] + "\nuse crate::aws::sdk_error::FromSdk;" + text[i:])


def main():
    if not os.path.isdir("src") or os.path.isdir("src/core/model.rs"):
        sys.exit("run at the top of the repository, on the flat layout")
    move_files()
    rewrite_sources()
    fix_main()
    write_layer_mods()
    split_sdk_error()
    git("add", "-A", "src", "tests")
    subprocess.run(["cargo", "fmt"], check=False)
    git("add", "-A", "src", "tests")


if __name__ == "__main__":
    main()
