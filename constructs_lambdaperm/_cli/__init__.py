"""The ``lambdaperm`` command. Pure Python: it reads files and never starts Node.js or the CDK."""
