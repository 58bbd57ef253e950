"""organizations"""
