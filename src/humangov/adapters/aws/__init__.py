"""What every AWS adapter shares: the boto3 client factory, the state <-> table and bucket
names, provisioning, and the decoding of DynamoDB stream records into document changes."""
