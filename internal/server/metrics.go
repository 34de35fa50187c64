package server

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/mantle-iam/mantle/internal/authz"
	"github.com/mantle-iam/mantle/internal/metrics"
	"github.com/mantle-iam/mantle/internal/store"
	"github.com/mantle-iam/mantle/internal/store/postgres"
	"github.com/mantle-iam/mantle/internal/token"
)

// instrument registers the served actions and the figures the components
// keep for themselves, read when Prometheus scrapes.
func (s *Server) instrument(m *metrics.Registry, az *authz.Authorizer, keys *cachedKeys) {
	h := s.Handler
	h.Metrics = m
	for _, q := range h.Query {
		names := slices.Collect(maps.Keys(q.Actions))
		for a := range q.Unsigned {
			names = append(names, a)
		}
		m.Register(q.Name, names)
	}
	for _, j := range h.JSON {
		m.Register(j.Name, slices.Collect(maps.Keys(j.Operations)))
	}

	m.Counter("mantle_authorization_decisions_total",
		"Policy evaluations by result: allowed, explicit_deny, implicit_deny, or error (the evaluation could not run).",
		[]string{"result"}, func(emit metrics.Emit) {
			d := az.Decisions()
			emit(float64(d.Allowed), "allowed")
			emit(float64(d.ExplicitDeny), "explicit_deny")
			emit(float64(d.ImplicitDeny), "implicit_deny")
			emit(float64(d.Errors), "error")
		})
	ring := s.Tokens
	m.Counter("mantle_credentials_issued_total",
		"Credentials handed out, by kind: the STS sessions (assumed-role, federated-user, user-session, root-session) and IAM access keys (access-key).",
		[]string{"kind"}, func(emit metrics.Emit) {
			for _, k := range []token.Kind{token.KindAssumedRole, token.KindFederatedUser, token.KindUserSession, token.KindRootSession} {
				emit(float64(ring.Sealed(k)), k.String())
			}
			emit(float64(m.Successes("iam", "CreateAccessKey")), "access-key")
		})

	rec := s.Audit
	m.Gauge("mantle_audit_queue_depth", "CloudTrail events waiting for the writer.", nil, func(emit metrics.Emit) {
		emit(float64(rec.Stats().Queued))
	})
	m.Counter("mantle_audit_backpressure_waits_total",
		"Calls that found the audit queue full and waited for room: the store is slower than the calls.",
		nil, func(emit metrics.Emit) { emit(float64(rec.Stats().Waits)) })
	m.Counter("mantle_audit_events_lost_total",
		"CloudTrail events not stored (a store failing past shutdown's grace, or a call abandoned before its event was queued). Should stay 0.",
		nil, func(emit metrics.Emit) { emit(float64(rec.Stats().Lost)) })
	m.Gauge("mantle_audit_store_failing", "1 while the store refuses the audit writer's batches.", nil, func(emit metrics.Emit) {
		emit(boolValue(rec.Stats().Failing))
	})

	caches := func(report func(name string, st store.CacheStats)) {
		report("access_keys", keys.entries.Stats())
		az.CacheStats(report)
		s.STS.CacheStats(report)
	}
	m.Counter("mantle_cache_hits_total", "Cache lookups answered from memory, by cache.", []string{"cache"}, func(emit metrics.Emit) {
		caches(func(name string, st store.CacheStats) { emit(float64(st.Hits), name) })
	})
	m.Counter("mantle_cache_misses_total", "Cache lookups that read the store, by cache.", []string{"cache"}, func(emit metrics.Emit) {
		caches(func(name string, st store.CacheStats) { emit(float64(st.Misses), name) })
	})
	m.Counter("mantle_cache_invalidations_total", "Times a committed change emptied a cache, by cache.", []string{"cache"}, func(emit metrics.Emit) {
		caches(func(name string, st store.CacheStats) { emit(float64(st.Invalidations), name) })
	})

	st := s.cfg.Store
	m.Gauge("mantle_store_generation", "Changes this node has applied (its own and other nodes').", nil, func(emit metrics.Emit) {
		emit(float64(st.Generation()))
	})
	m.Gauge("mantle_node_current", "1 while this node can prove it has applied every committed change (it serves); 0 while it answers ServiceUnavailable.", nil, func(emit metrics.Emit) {
		emit(boolValue(st.Current() == nil))
	})
	m.Gauge("mantle_open_connections", "Connections the API listener holds.", []string{"listener"}, func(emit metrics.Emit) {
		if api := s.api.Load(); api != nil {
			emit(float64(api.Conns()), "api")
		}
	})
	if pg, ok := s.backend.(*postgres.Store); ok {
		pg.ObserveAcks(m.ObserveAck)
		m.Gauge("mantle_nodes_live", "PostgreSQL: nodes holding a live lease, this one included.", nil, func(emit metrics.Emit) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if n, err := pg.LiveNodes(ctx); err == nil {
				emit(float64(n))
			}
		})
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
