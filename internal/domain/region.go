package domain

import (
	"fmt"
	"slices"
)

// Region is where a tenant's data lives; the connector activities for a tenant run on its
// region's task queue, so the data stays there.
type Region string

// Regions a tenant can be in.
const (
	RegionEU   Region = "eu"
	RegionUS   Region = "us"
	RegionAPAC Region = "apac"
)

// Regions are every region.
var Regions = []Region{RegionEU, RegionUS, RegionAPAC}

// Valid reports whether r is one of Regions.
func (r Region) Valid() bool { return slices.Contains(Regions, r) }

// ParseRegion reads a region by its name.
func ParseRegion(s string) (Region, error) {
	if r := Region(s); r.Valid() {
		return r, nil
	}
	return "", fmt.Errorf("region %q is not one of %s", s, JoinNames(Regions))
}
