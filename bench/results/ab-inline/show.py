import json,sys,glob,collections
d=collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1]+'/*.json')):
    side=f.split('/')[-1][0]
    for k,v in json.load(open(f))['results'].items() if isinstance(json.load(open(f))['results'],dict) else enumerate(json.load(open(f))['results']):
        d[(v['Type'],v['Method'])].append((side,v['RatioMedian']))
for (t,m),l in sorted(d.items()):
    a=[x for s,x in l if s=='A']; b=[x for s,x in l if s=='B']
    print(f"{t:28s} {m:28s} A " + " ".join(f"{x:.2f}" for x in a) + " | B " + " ".join(f"{x:.2f}" for x in b))
