"""A desa's roadmap toward "desa bebas pekerja anak" (a child-labour-free village): the milestones the
district records (the roadmap workshop, integration into RPJMDes/musrenbang), those the registry's
own records prove (the core institutions decreed; no child labourer left without remediation for N
months), and the resulting status."""
