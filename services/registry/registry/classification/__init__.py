"""Classification of a child's situation under Indonesian child-labour law (pure, versioned rules)."""
