"""The scheduled deployment: the central Lambda's handler (``handler``), the organization-scale
Step Functions task handlers (``tasks``) and the CloudFormation templates as data
(``templates``, ``org_scale_template``, ``cfn``; written as YAML by ``render``)."""
