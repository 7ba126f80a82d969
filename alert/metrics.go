package alert

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	firing        *prometheus.GaugeVec
	notifications *prometheus.CounterVec
	queueLength   prometheus.Gauge
	panics        prometheus.Counter
	evaluator     prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, names []string) *metrics {
	m := &metrics{
		firing: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "swarmlink_alerts_firing",
			Help: "Alerts firing now, by alert name."}, []string{"alertname"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "swarmlink_notifications_total",
			Help: "Notification batches sent, by notifier and result (success or failure)."}, []string{"notifier", "result"}),
		queueLength: prometheus.NewGauge(prometheus.GaugeOpts{Name: "swarmlink_notification_queue_length",
			Help: "Notifications waiting in the durable queue, over all notifiers."}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{Name: "swarmlink_alert_panics_total",
			Help: "Panics recovered in the alert engine's evaluation or delivery."}),
		evaluator: prometheus.NewGauge(prometheus.GaugeOpts{Name: "swarmlink_alert_evaluator",
			Help: "1 when this agent evaluates the cluster's alerts (alerting.evaluators), 0 when only its own checks'."}),
	}
	for _, name := range alertNames() {
		m.firing.WithLabelValues(name)
	}
	for _, n := range names {
		m.notifications.WithLabelValues(n, "success")
		m.notifications.WithLabelValues(n, "failure")
	}
	if reg != nil {
		reg.MustRegister(m.firing, m.notifications, m.queueLength, m.panics, m.evaluator)
	}
	return m
}
