"""What gets printed: CGV, letters, PDF, one pack, packs at scale."""
