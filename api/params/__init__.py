"""Query parameters and request bodies of the courier routes, validated by pydantic; every
problem is a 422.

common: limits, field types, the base query model, ``CrsParams``, the instant rules;
nearest, listing, batch: one route's input each; errors: pydantic's errors as problem fields.
"""
