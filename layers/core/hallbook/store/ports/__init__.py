"""The seam's ports: one module per aggregate, each a set of typing.Protocols named by their guarantees
(after the repository and unit of work of cosmicpython/code, sized for DynamoDB: one transaction per
change, so each write is one call that succeeds whole or raises). store/stores.py bundles one
implementation of each (`Stores`); the adapters are DynamoDB's (the store modules and the
`*_dynamo.py` modules beside them) and the in-memory fakes of store/memory/."""
