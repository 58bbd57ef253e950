"""The fan-out: a flagged case's needs reach providers (`engine`), the events that start and stop
it (`handlers`), and the sweeper that expires offers past their SLA (`sweeper`)."""
