"""Buying credit packs through a payment-provider adapter."""
