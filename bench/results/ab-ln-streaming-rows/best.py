import json,glob,sys,collections,statistics
for d in sys.argv[1:]:
    res=collections.defaultdict(list)
    for f in sorted(glob.glob(d+'/*.json')):
        side=f.split('/')[-1][0]
        for r in json.load(open(f))['results']:
            if 'Naive' in r['Method']: continue
            res[(r['Method'],side)].append((r['BestMs'],r['CopyBestMs']))
    print(d)
    for m in sorted(set(k[0] for k in res)):
        a=res[(m,'A')]; b=res[(m,'B')]
        print(f"  {m:34s} best ms A {min(x[0] for x in a):.3f} med {statistics.median(x[0] for x in a):.3f} | B {min(x[0] for x in b):.3f} med {statistics.median(x[0] for x in b):.3f} | copy best A {min(x[1] for x in a):.3f} B {min(x[1] for x in b):.3f}")
