"""mous"""
