"""A desa's institutions (GTDLA, PATBM, Forum Anak Desa, DRPPA, PKM, the village SPRPA team): their
formation, decree and activity, members counted (and named only for adults who agree), history."""
