import re,sys
def convert(p, setup_start, setup_end_marker, new_setup, names, header_extra_remove=()):
    s=open(p).read()
    i=s.index(setup_start); j=s.index(setup_end_marker, i)+len(setup_end_marker)
    before, after = s[:i], s[j:]
    for n in names:
        after=re.sub(r'(?<![\w.])'+n+r'\b(?!\s*:)', 'stack.'+n, after)
    s=before+new_setup+after
    s=s.replace("import { TestComponents } from '../helpers/components';","import { withWorkerComponents } from '../helpers/worker-components';")
    for r in header_extra_remove: s=s.replace(r,'')
    open(p,'w').write(s)
