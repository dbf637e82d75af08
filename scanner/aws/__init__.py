"""AWS I/O plumbing: sessions and role assumption, the one botocore Config, the one error
classifier, the read-only guard, the API-call counter, the bounded executor and the IAM
permissions the scanner needs. Only scanner.aws, scanner.collectors, scanner.collect and
scanner.discovery (where a run starts: the caller's identity, Organizations) call AWS.
"""
