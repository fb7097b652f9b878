"""The local stack: the product's embedded default environment.

The same handlers as in AWS, run in this process behind a gateway that speaks HTTP and WebSocket as
API Gateway does, with moto for DynamoDB, Streams, S3 and SQS, a local JWT issuer, a stream poller that
behaves like Lambda's event source mapping, and a scheduler. Start it with `python -m local`; what it
leaves out compared with AWS is listed in docs/local-stack.md.
"""
