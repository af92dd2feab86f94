// The console's words, Japanese first (the secretariat's language), English beside them.
// t(key) gives the current language's text; the choice is kept for the tab (sessionStorage).

const words = {
  ja: {
    title: '書留 kakitome コンソール', loading: '読み込み中…', language: 'English',
    logout: 'ログアウト', login: 'ログイン', token: 'アクセストークン',
    token_help: '管理者から受け取ったトークン（kkt_ で始まる文字列）を貼り付けてください。',
    login_failed: 'トークンが無効です。', signed_in_as: 'ログイン中',
    nav_queue: '受付一覧', nav_ledger: '監査台帳', nav_incidents: 'インシデント',
    queue: '受付一覧', filter_state: '状態', filter_all: 'すべて', filter_overdue: '期限超過のみ',
    filter_assignee: '担当者', filter_search: '申請番号で検索', unassigned: '未割当',
    col_application: '申請番号', col_state: '状態', col_sla: '対応期限', col_assignee: '担当者',
    col_received: '受信日時', col_reasons: '理由', col_duplicate: '重複の可能性', col_select: '選択',
    overdue: '期限超過', rows: '件', csv: 'CSV 出力', select_row: 'この申請を選択',
    bulk_assign: '選択した申請を担当者に割り当て', bulk_approve: '選択した申請を承認',
    bulk_done: '件を処理しました', bulk_failed: '件が失敗しました', assignee_name: '担当者名',
    open: '開く', none_found: '該当する申請はありません。',
    application: '申請', form: '申請書の内容', application_date: '申請日', consent: '同意',
    usage_other: '「その他」の内容', remarks: '備考', organization: '団体名', contact_email: '連絡先メール',
    sender: '送信元', sender_name: '送信者名', filename: '添付ファイル名',
    usage_channels: '利用媒体', unrecognized_usages: '選択肢にない記入', state: '状態',
    version: '版', received_at: '受信日時', paired_at: '2通そろった日時', sla_due_date: '対応期限',
    reasons: '不備の理由', warnings: '注意', assignee: '担当者', links: 'ダウンロード URL',
    issued_at: '発行', expires_at: '有効期限', downloads: 'ダウンロード回数', revoked: '失効',
    expired: '期限切れ', actions: '操作', needs_supervisor: '責任者の操作が必要です',
    mails: 'メール（受信・送信）', direction: '方向', incoming: '受信', outgoing: '送信',
    mail_kind: '種類', mail_status: '状態', mail_sent: '送信済み', mail_waiting: '送信待ち',
    mail_retry: '送信失敗（再送予定）', mail_failed: '送信失敗（再送しません）',
    form_mail: '申請書メール', password_mail: 'パスワードメール', password_rejected: 'パスワード不一致',
    template_url_notice: 'ダウンロード URL のお知らせ', template_rejection: '不備のお知らせ',
    template_correction_request: '修正のお願い', template_password_reminder: 'パスワード送付のお願い',
    timeline: '経過（イベント）', event_at: '日時', event_type: '種類', event_actor: '操作者',
    reject_codes: '不備の理由（複数選択可）', command_done: '操作を記録しました',
    stale: '他の職員がこの申請を更新しました。最新の内容を読み込み直しました。もう一度確認してください。',
    back: '一覧へ戻る', erased: '（消去済み）',
    ledger: '監査台帳', checkpoint: '最新のチェックポイント', verifier_key: '検証鍵（公開鍵）',
    verifier_help: '公表されている検証鍵を貼り付けてください。この鍵で、ブラウザ自身が署名を検証します（サーバーを信用する必要はありません）。',
    pin_key: 'この鍵を記憶する', verify: '署名を検証', verified: '検証成功', failed: '検証失敗',
    trail: '申請の記録と包含証明', trail_help: '申請番号を入力すると、その申請のすべてのイベントの包含証明をブラウザで検証します。',
    show_trail: '記録を検証', proof: '包含証明', verify_proof: 'この証明を検証', tree_size: '木の大きさ',
    root: 'ルート', as_of: '過去の時点の受付一覧', as_of_help: '指定した時点までのイベントから一覧を再構成します。',
    show_as_of: '表示',
    incidents: 'インシデント', who_saw: '誰が見たか（申請番号）', saw_what: '何を見たか（利用者名）',
    search: '検索', review: '期間の調査', review_from: '開始', review_to: '終了',
    run_review: '調査する', affected: '他人に開示された申請', report: '報告',
    report_incident: 'インシデントを登録', description: '内容', window_from: '発生期間の開始',
    window_to: '発生期間の終了', reported: '登録しました', viewer: '閲覧者', role: '役割',
    request_id: 'リクエスト ID', endpoint: '操作', remote: '接続元', fields: '項目', at: '日時',
    owner: '本人', notified: '通知済み', incident_id: 'インシデント ID',
    scope: '対象範囲', scope_help: '対象の申請番号を 1 行に 1 つ貼り付けるか、発生期間の終了までに登録されたすべての申請を対象にします。',
    scope_set: '申請番号で範囲を設定', scope_all: '期間終了までの全登録を対象にする', scoped: '範囲を設定しました',
    open_contact: '連絡先を開く', notify: '通知済みにする', contact: '連絡先', yes: 'はい', no: 'いいえ', assessment: '評価',
    error: 'エラー', forbidden: 'この操作の権限がありません。', not_found: '見つかりません。',
    network: 'サーバーに接続できません。',
  },
  en: {
    title: 'kakitome console', loading: 'Loading…', language: '日本語',
    logout: 'Log out', login: 'Log in', token: 'Access token',
    token_help: 'Paste the token your administrator gave you (it starts with kkt_).',
    login_failed: 'The token is not valid.', signed_in_as: 'Signed in as',
    nav_queue: 'Queue', nav_ledger: 'Ledger', nav_incidents: 'Incidents',
    queue: 'Queue', filter_state: 'State', filter_all: 'All', filter_overdue: 'Overdue only',
    filter_assignee: 'Assignee', filter_search: 'Search by application id', unassigned: 'Unassigned',
    col_application: 'Application', col_state: 'State', col_sla: 'Due', col_assignee: 'Assignee',
    col_received: 'Received', col_reasons: 'Reasons', col_duplicate: 'Possible duplicate',
    col_select: 'Select', overdue: 'Overdue', rows: 'rows', csv: 'Export CSV',
    select_row: 'Select this application', bulk_assign: 'Assign selected',
    bulk_approve: 'Approve selected', bulk_done: 'done', bulk_failed: 'failed',
    assignee_name: 'Assignee', open: 'Open', none_found: 'No application matches.',
    application: 'Application', form: 'The form', application_date: 'Application date',
    consent: 'Consent', usage_other: '"Other" usage', remarks: 'Remarks', organization: 'Organisation',
    contact_email: 'Contact e-mail', sender: 'Sender', sender_name: 'Sender name',
    filename: 'Attachment', usage_channels: 'Usage channels',
    unrecognized_usages: 'Not one of the choices', state: 'State', version: 'Version',
    received_at: 'Received', paired_at: 'Both mails in', sla_due_date: 'Due', reasons: 'Reasons',
    warnings: 'Warnings', assignee: 'Assignee', links: 'Download links', issued_at: 'Issued',
    expires_at: 'Expires', downloads: 'Downloads', revoked: 'Revoked', expired: 'Expired',
    actions: 'Actions', needs_supervisor: 'A supervisor must do this',
    mails: 'Mails in and out', direction: 'Direction', incoming: 'in', outgoing: 'out',
    mail_kind: 'Kind', mail_status: 'Status', mail_sent: 'sent', mail_waiting: 'waiting to be sent',
    mail_retry: 'failed, will retry', mail_failed: 'failed, no retry',
    form_mail: 'form mail', password_mail: 'password mail', password_rejected: 'password did not open the form',
    template_url_notice: 'download link', template_rejection: 'rejection notice',
    template_correction_request: 'correction request', template_password_reminder: 'password reminder',
    timeline: 'Timeline (events)', event_at: 'At', event_type: 'Type', event_actor: 'Actor',
    reject_codes: 'Reasons (choose one or more)', command_done: 'Recorded',
    stale: 'Someone else changed this application. It has been reloaded; please check it again.',
    back: 'Back to the queue', erased: '(erased)',
    ledger: 'Ledger', checkpoint: 'Latest checkpoint', verifier_key: 'Verifier key',
    verifier_help: 'Paste the published verifier key. Your browser checks the signature itself; you need not trust the server.',
    pin_key: 'Remember this key', verify: 'Verify signature', verified: 'Verified',
    failed: 'Verification failed', trail: 'Trail of one application',
    trail_help: 'Enter an application id: every event of it is proven included, in your browser.',
    show_trail: 'Verify trail', proof: 'Inclusion proof', verify_proof: 'Verify this proof',
    tree_size: 'Tree size', root: 'Root', as_of: 'The queue as of a moment',
    as_of_help: 'Rebuilt from the events up to that moment.', show_as_of: 'Show',
    incidents: 'Incidents', who_saw: 'Who saw (application id)', saw_what: 'Saw what (principal)',
    search: 'Search', review: 'Review a window', review_from: 'From', review_to: 'To',
    run_review: 'Review', affected: 'Disclosed to others', report: 'Report',
    report_incident: 'Report an incident', description: 'Description', window_from: 'Window from',
    window_to: 'Window to', reported: 'Reported', viewer: 'Viewer', role: 'Role',
    request_id: 'Request id', endpoint: 'Endpoint', remote: 'Remote', fields: 'Fields', at: 'At',
    owner: 'Owner', notified: 'Notified', incident_id: 'Incident id',
    scope: 'Scope', scope_help: 'Paste application ids, one per line, or take every registration up to the end of the window.',
    scope_set: 'Scope these applications', scope_all: 'Scope every registration before the window ends', scoped: 'Scoped',
    open_contact: 'Open contact', notify: 'Mark notified', contact: 'Contact', yes: 'yes', no: 'no', assessment: 'Assessment',
    error: 'Error', forbidden: 'You may not do this.', not_found: 'Not found.',
    network: 'The server cannot be reached.',
  },
};

const states = {
  ja: { none: 'なし', awaiting_password: 'パスワード待ち', password_received: 'パスワード受信',
        password_mismatch: 'パスワード不一致', decrypted: '復号済み', validated: '確認済み',
        rejected: '不備あり', url_issued: 'URL 発行済み', downloaded: 'ダウンロード済み',
        withdrawn: '取り下げ', expired: '期限切れ' },
  en: { none: 'none', awaiting_password: 'awaiting password', password_received: 'password received',
        password_mismatch: 'password mismatch', decrypted: 'decrypted', validated: 'validated',
        rejected: 'rejected', url_issued: 'URL issued', downloaded: 'downloaded',
        withdrawn: 'withdrawn', expired: 'expired' },
};

const commands = {
  ja: { assign: '担当者を割り当て', approve: '承認して URL を発行', reject: '不備として差し戻し',
        request_correction: '修正を依頼', withdraw: '取り下げ', reissue_url: 'URL を再発行',
        revoke_url: 'URL を失効', erase: '個人情報を消去' },
  en: { assign: 'Assign', approve: 'Approve and issue the URL', reject: 'Reject',
        request_correction: 'Request a correction', withdraw: 'Withdraw', reissue_url: 'Reissue the URL',
        revoke_url: 'Revoke the URL', erase: 'Erase personal data' },
};

// The reason codes a rejection may carry (docs/forms.md), in the words the applicant reads.
export const reasonCodes = ['consent_not_given', 'date_outside_usage_period', 'invalid_contact_email',
  'missing_application_date', 'missing_organization', 'no_usage_selected', 'other_usage_without_text',
  'unknown_usage', 'wrong_password', 'not_encrypted_office_file'];
const reasons = {
  ja: { consent_not_given: '同意が選択されていません', date_outside_usage_period: '申請日が利用期間外',
        duplicate_application: '同じ内容の申請が承認済み', invalid_contact_email: '連絡先メールの形式',
        missing_application_date: '申請日の記入なし', missing_organization: '団体名の記入なし',
        no_usage_selected: '利用媒体の選択なし', other_usage_without_text: '「その他」の内容なし',
        unknown_usage: '選択肢にない利用媒体', wrong_password: 'パスワードで開けない',
        not_encrypted_office_file: 'パスワード未設定' },
  en: {},
};

const channels = {
  ja: { official_website: '公式HP', official_sns: '公式SNS', facility_monitor: '施設内モニター',
        intranet: 'イントラネット', other: 'その他' },
  en: { official_website: 'official website', official_sns: 'official SNS',
        facility_monitor: 'facility monitor', intranet: 'intranet', other: 'other' },
};

export function language() {
  return sessionStorage.getItem('kakitome.language') === 'en' ? 'en' : 'ja';
}
export function setLanguage(choice) {
  sessionStorage.setItem('kakitome.language', choice);
  document.documentElement.lang = choice;
}
export function t(key) { return words[language()][key] ?? words.ja[key] ?? key; }
export function stateLabel(state) { return states[language()][state] ?? state; }
export function commandLabel(name) { return commands[language()][name] ?? name; }
export function reasonLabel(code) { return reasons[language()][code] ?? code; }
export function channelLabel(code) { return channels[language()][code] ?? code; }
export const stateNames = Object.keys(states.ja);
