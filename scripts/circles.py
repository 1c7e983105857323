#!/usr/bin/env python3
"""Import circles between the files of src/ (scripts/test.sh fails on any):
every `crate::a::b` and `super::x` path and every `use crate::{A, B}` of a
root re-export, comments and `#[cfg(test)] mod tests` left out, resolved to
the file that defines it; prints each circle and exits 1 if there is one."""
import os, re, sys
root = sys.argv[1] if len(sys.argv) > 1 else 'src'
files = {}
for d, _, fs in os.walk(root):
    for f in fs:
        if f.endswith('.rs'):
            p = os.path.join(d, f)
            files[p] = open(p).read()
def modpath(p):
    rel = os.path.relpath(p, root)[:-3].split('/')
    if rel[-1] in ('mod', 'lib'): rel = rel[:-1]
    return rel
mods = {tuple(modpath(p)): p for p in files if not p.startswith(os.path.join(root,'bin'))}
lib = files[os.path.join(root, 'lib.rs')]
# root re-exports: pub use a::b::{X, Y}; / pub use a::X;
reexp = {}
for m in re.finditer(r'pub use ([a-z_:]+)::\{([^}]*)\};|pub use ([a-z_:]+)::([A-Za-z_]+)( as ([A-Za-z_]+))?;', lib):
    if m.group(1):
        for n in m.group(2).split(','):
            n = n.strip().split(' as ')[-1]
            if n: reexp[n] = m.group(1).split('::')
    else:
        reexp[m.group(6) or m.group(4)] = m.group(3).split('::')
def resolve(segs):
    segs = list(segs)
    while segs:
        if tuple(segs) in mods: return mods[tuple(segs)]
        segs.pop()
    return None
edges = {}
for p, text in files.items():
    if p.startswith(os.path.join(root,'bin')): continue
    # drop #[cfg(test)] mod tests {...} at end of file
    text = re.sub(r'//[^\n]*', '', text)
    i = text.find('#[cfg(test)]\nmod tests')
    if i >= 0: text = text[:i]
    me = modpath(p)
    if os.path.basename(p) not in ('mod.rs','lib.rs'): base = me[:-1]
    else: base = me[:-1] if me else []
    parent = me[:-1]
    deps = set()
    for m in re.finditer(r'\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)', text):
        segs = m.group(2).strip(':').split('::')
        if m.group(1) == 'crate':
            if segs and segs[0] in reexp: segs = reexp[segs[0]] + segs[1:]
            full = segs
        else:
            full = parent + segs
            while full and full[0] == 'super': full = full[1:]
        t = resolve(full)
        if t and t != p: deps.add(t)
    for m in re.finditer(r'use crate::\{([^}]*)\}', text):
        for n in m.group(1).split(','):
            n = n.strip().split('::')[0]
            segs = reexp.get(n, [n])
            t = resolve(segs)
            if t and t != p: deps.add(t)
    # mod.rs declaring children is not an import
    edges[p] = {d for d in deps if not (os.path.basename(p) in ('mod.rs','lib.rs') and modpath(d)[:len(me)] == me and len(modpath(d)) == len(me)+1 and ('pub mod '+modpath(d)[-1] in text or 'mod '+modpath(d)[-1] in text) and not re.search(r'(crate|super|self)::'+modpath(d)[-1]+r'::', text) and not re.search(r'\b'+modpath(d)[-1]+r'::', text))}
# Tarjan SCC
idx = {}; low = {}; st = []; on = set(); out = []; c = [0]
sys.setrecursionlimit(10000)
def sc(v):
    idx[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in idx: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], idx[w])
    if low[v] == idx[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: out.append(sorted(comp))
for v in edges:
    if v not in idx: sc(v)
if '-v' in sys.argv:
    for p in sorted(edges): print(p, '->', ' '.join(sorted(edges[p])))
for comp in out: print('circle:', ' <-> '.join(comp))
# Rooms: a file may import only its own room and the rooms below it.
below = {'core': {'core'}, 'wasm': {'core', 'wasm'}, 'native': {'core', 'native'},
         'testing': {'core', 'native', 'testing'}, 'server': {'core', 'native', 'server'}}
def room(p):
    rel = os.path.relpath(p, root).split('/')
    return rel[0] if len(rel) > 1 else None
upward = [(p, d) for p in sorted(edges) for d in sorted(edges[p])
          if room(p) in below and room(d) is not None and room(d) not in below[room(p)]]
for p, d in upward: print('upward import:', p, '->', d)
print(len(out), 'circles,', len(upward), 'upward imports')
sys.exit(1 if out or upward else 0)
