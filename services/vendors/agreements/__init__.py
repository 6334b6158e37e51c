"""The City's contracts with vendors (URL `/contracts`), their amendments and subcontract commitments.

The folder is `agreements` because `services.vendors.contracts` holds the service's wire contracts.
"""
