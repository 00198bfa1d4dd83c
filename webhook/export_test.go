package webhook

// HandedIn is how many messages b has taken in: tests wait on it rather than sleep.
func (b *Batcher) HandedIn() int64 { return b.handedIn.Load() }
