"""The scheduled deployment: the Lambda handler and the CloudFormation templates."""
