"""The book of record (SPEC 8): the output folder, written and read in one place.

- `names`: month and version folder names, `v<N>` / `r<N>` / `documents-<k>` numbering, the
  hidden temporaries' names;
- `files`: reading a JSON file a run wrote (manifest, final.json) without trusting it;
- `folder`: reading and trusting the output folder (`read_output`: months, versions, final.json);
- `publish`: publishing a folder whole or not at all, cleaning up after a killed run;
- `issued`: the issued ledger a close or a reconciliation feeds to the warehouse, and what a
  close may do given what is issued;
- `commands`: `automq-billing finalize` and `automq-billing status`.
"""
