"""tools/providers"""
