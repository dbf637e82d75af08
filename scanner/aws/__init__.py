"""AWS I/O plumbing: sessions and role assumption, the one botocore Config, the one error
classifier, the read-only guard, the API-call counter, the bounded executor, the
GetResourcePolicy pace, the Regions, the check that an answer is the API's, and the IAM
permissions the scanner needs. Of a scan, only scanner.aws, scanner.collectors, scanner.collect
and scanner.discovery (where a run starts: the caller's identity, Organizations) call AWS;
remediation's apply and undo, the Security Hub export, the S3 history store, the scheduled
deployment's handlers and the demo have clients of their own (docs/contracts.md, "Conventions
every part follows").
"""
