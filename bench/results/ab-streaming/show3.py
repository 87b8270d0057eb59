import json,sys,glob,collections,statistics
d=collections.defaultdict(lambda: collections.defaultdict(list))
for f in sorted(glob.glob(sys.argv[1]+'/*.json')):
    side=f.split('/')[-1][0]
    for v in json.load(open(f))['results']:
        d[(v['Type'],v['Method'])][side].append(v['RatioMedian'])
for (t,m),sides in sorted(d.items()):
    print(f"{t:24s} {m:32s} " + "  ".join(f"{s}: " + " ".join(f"{x:.2f}" for x in sides[s]) + f" (med {statistics.median(sides[s]):.2f})" for s in "ABC" if sides[s]))
