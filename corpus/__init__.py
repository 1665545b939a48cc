"""Bundled reference data and its loaders (read only from this package; see SOURCES.md).

* ``policies``        — the seed policy texts and their published metadata
* ``classifications`` — GB/T 4754-2017, SEI 2018, ISEI 2023, future industries
* ``zones``           — the editable zone registry, 盟市/旗县区, jurisdiction checks
* ``lexicon``         — industry and beneficiary vocabulary, jieba word list
"""
