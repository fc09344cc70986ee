#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""depgraph.py [-m] [ROOT] - how mailsift's folders depend on each other.

A file depends on another when it includes its header or calls a function
defined (not static) there.  Files are grouped into modules (x.c, x.h and
x-int.h are one module) and modules into folders (mime, rules, daemon,
daemon/net, ...).  Prints every folder edge with the files that make it,
then every cycle: between folders, and between the modules of one folder.
-m also prints the module edges.  Exits 1 if there is a cycle, or if a
lower layer reaches up (mime -> rules or daemon, rules -> daemon)."""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
DEFINE = re.compile(r'^([A-Za-z_]\w*)\(', re.M)      # OpenBSD style: name at column 0
CALL = re.compile(r'\b([A-Za-z_]\w*)\s*\(')
NOT_NAMES = ("__attribute__", "if", "for", "while", "switch", "return",
             "sizeof")
COMMENT = re.compile(r'/\*.*?\*/', re.S)
LAYERS = ("mime", "rules", "daemon")


def module(path):
    base = re.sub(r'(-int)?\.[ch]$', '', path)
    return base


def folder(path):
    return os.path.dirname(path)


def sources(root):
    out = []
    for top in LAYERS:
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                if n.endswith((".c", ".h")):
                    out.append(os.path.relpath(os.path.join(dirpath, n), root))
    return sorted(out)


def edges(root, files):
    text = {}
    for f in files:
        with open(os.path.join(root, f), errors="replace") as fp:
            text[f] = COMMENT.sub("", fp.read())
    defined = {}
    for f in files:
        if not f.endswith(".c"):
            continue
        lines = text[f].split("\n")
        for i, line in enumerate(lines):
            m = DEFINE.match(line)
            if m and m.group(1) not in NOT_NAMES and not (
                    i and lines[i - 1].startswith("static")):
                defined.setdefault(m.group(1), f)
    dep = {}
    for f in files:
        targets = [h for h in INCLUDE.findall(text[f]) if h in text]
        if f.endswith(".c"):
            targets += [defined[c] for c in set(CALL.findall(text[f]))
                        if c in defined]
        for t in targets:
            if module(t) != module(f):
                dep.setdefault((module(f), module(t)), set()).add(
                    (f, t))
    return dep


def cycles(nodes, succ):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(succ.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))
    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return found


def layer(path):
    return LAYERS.index(path.split("/")[0])


def main(argv):
    show_modules = "-m" in argv
    args = [a for a in argv if a != "-m"]
    root = args[0] if args else "."
    dep = edges(root, sources(root))
    bad = 0

    fsucc, why = {}, {}
    msucc = {}
    for (a, b), pairs in dep.items():
        msucc.setdefault(a, set()).add(b)
        fa, fb = folder(a), folder(b)
        if fa != fb:
            fsucc.setdefault(fa, set()).add(fb)
            why.setdefault((fa, fb), set()).update(
                os.path.basename(x) for x, _ in pairs)
    print("folder dependencies (folder -> folders it uses: files that use them)")
    for fa in sorted(fsucc):
        for fb in sorted(fsucc[fa]):
            print("  %-16s -> %-16s %s" % (fa, fb, " ".join(sorted(why[(fa, fb)]))))
            if layer(fb) > layer(fa):
                print("    error: %s reaches up into %s" % (fa, fb))
                bad = 1
    if show_modules:
        print("module dependencies")
        for a in sorted(msucc):
            print("  %s -> %s" % (a, " ".join(sorted(msucc[a]))))
    nodes = set(fsucc) | {b for s in fsucc.values() for b in s}
    for c in cycles(nodes, fsucc):
        print("folder cycle: " + " <-> ".join(c))
        bad = 1
    mnodes = set(msucc) | {b for s in msucc.values() for b in s}
    inner = {a: {b for b in s if folder(b) == folder(a)} for a, s in msucc.items()}
    for c in cycles(mnodes, inner):
        print("module cycle in %s/: %s" % (folder(c[0]), " <-> ".join(
            os.path.basename(m) for m in c)))
        if c[0].startswith("daemon"):
            bad = 1
    print("depgraph: %s" % ("no cycle in daemon/, layers hold" if not bad else "FAILED"))
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
