package risk

import (
	"math/rand/v2"
	"testing"
)

// The lower bound must never exceed the haversine term, or Evaluate would
// skip a place that is in fact the nearest.
func TestLowerBoundNeverExceedsHaversine(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	edges := []float64{-90, -89.999, -45, 0, 45, 89.999, 90}
	for i := range 200_000 {
		lat1, lon1 := rng.Float64()*180-90, rng.Float64()*360-180
		lat2, lon2 := rng.Float64()*180-90, rng.Float64()*360-180
		switch i % 4 {
		case 1: // near each other
			lat2, lon2 = min(90, max(-90, lat1+rng.NormFloat64())), lon1+rng.NormFloat64()
			if lon2 > 180 || lon2 < -180 {
				lon2 = lon1
			}
		case 2: // poles, equator, antimeridian
			lat1, lat2 = edges[rng.IntN(len(edges))], edges[rng.IntN(len(edges))]
			lon1, lon2 = 179.9, -179.9
		}
		h := newHaversine(lat1, lon1)
		if lb, a := h.lowerBound(lat2, lon2), h.hav(lat2, lon2); lb > a*(1+1e-12)+1e-18 {
			t.Fatalf("(%v,%v)-(%v,%v): lower bound %v > haversine %v", lat1, lon1, lat2, lon2, lb, a)
		}
	}
}
